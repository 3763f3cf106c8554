"""The PRISMA 2020 flow diagram laid out and drawn from the text of its boxes.

:func:`pipeline.prisma.diagram` decides what each box says, by slot: ``header``, ``identified``,
``removed``, ``screened``, ``excluded``, ``sought``, ``not_retrieved``, ``assessed``, ``ft_excluded``
and ``included`` for the databases column; ``other_header``, ``other_identified``, ``other_sought``,
``other_not_retrieved``, ``other_assessed`` and ``other_excluded`` for the other-methods column; and
``previous_header``, ``previous`` and ``total`` for an updated review. :func:`draw` places the boxes in
rows and columns (in inches, at 8 pt DejaVu Sans), wraps their lines to the box width (a line starting
with a bullet keeps a hanging indent), and joins them with the template's arrows. A slot without text
or whose column is not drawn is left out.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from pipeline.render.figure import plain_text

_FONT_SIZE = 8.0
_FONT = "DejaVu Sans"
_LINE = _FONT_SIZE * 1.25 / 72  # inches per text line
_CHAR = _FONT_SIZE * 0.56 / 72  # inches per average character, generous
_PAD = 0.09
_ROW_GAP = 0.38
_COLUMN_GAP = 0.45
_MARGIN = 0.2
_PHASE_WIDTH = 0.32
_MAIN_WIDTH = 2.5
_PREVIOUS_WIDTH = 2.2
_SIDE_WIDTH = 2.8
_HEADER_COLOUR = "#ffd966"
_OTHER_HEADER_COLOUR = "#d9d9d9"
_PHASE_COLOUR = "#9dc3e6"


@dataclass(frozen=True)
class _Box:
    x: float
    y: float  # bottom
    width: float
    height: float

    @property
    def top(self) -> float:
        return self.y + self.height

    @property
    def middle(self) -> float:
        return self.y + self.height / 2

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width


def _wrap(lines: list[str], width: float) -> list[str]:
    """Wrap each line to the box width; a line starting with a bullet keeps its hanging indent."""
    chars = max(10, int((width - 2 * _PAD) / _CHAR))
    wrapped: list[str] = []
    for line in lines:
        indent = "   " if line.startswith("• ") else ""
        wrapped += textwrap.wrap(line, chars, subsequent_indent=indent, break_on_hyphens=False) or [""]
    return wrapped


def _height(lines: list[str]) -> float:
    return len(lines) * _LINE + 2 * _PAD


# Rows of the diagram from top to bottom: (phase, {slot: column}); slots whose column is not drawn are left out.
_ROWS: tuple[tuple[str, dict[str, str]], ...] = (
    ("", {"previous_header": "previous", "header": "main+side", "other_header": "other+other_side"}),
    ("Identification", {"previous": "previous", "identified": "main", "removed": "side",
                        "other_identified": "other"}),
    ("Screening", {"screened": "main", "excluded": "side"}),
    ("Screening", {"sought": "main", "not_retrieved": "side", "other_sought": "other",
                   "other_not_retrieved": "other_side"}),
    ("Screening", {"assessed": "main", "ft_excluded": "side", "other_assessed": "other",
                   "other_excluded": "other_side"}),
    ("Included", {"included": "main"}),
    ("Included", {"total": "main"}),
)
_CENTRED = {"header", "other_header", "previous_header", "screened", "sought", "assessed", "included", "total",
            "other_sought", "other_assessed"}


def _columns(with_other: bool, with_previous: bool) -> dict[str, tuple[float, float]]:
    """Column name -> (left edge, width) in inches."""
    main = _MARGIN + _PHASE_WIDTH + 0.25
    columns: dict[str, tuple[float, float]] = {}
    if with_previous:
        columns["previous"] = (main, _PREVIOUS_WIDTH)
        main += _PREVIOUS_WIDTH + _COLUMN_GAP
    side = main + _MAIN_WIDTH + _COLUMN_GAP
    columns |= {"main": (main, _MAIN_WIDTH), "side": (side, _SIDE_WIDTH),
                "main+side": (main, side + _SIDE_WIDTH - main)}
    if with_other:
        other = side + _SIDE_WIDTH + _COLUMN_GAP * 1.5
        other_side = other + _MAIN_WIDTH + _COLUMN_GAP
        columns |= {"other": (other, _MAIN_WIDTH), "other_side": (other_side, _SIDE_WIDTH),
                    "other+other_side": (other, other_side + _SIDE_WIDTH - other)}
    return columns


def _layout(texts: dict[str, list[str]], with_other: bool, with_previous: bool
            ) -> tuple[dict[str, _Box], dict[str, list[str]], list[tuple[str, float, float]], float, float]:
    """Boxes and wrapped lines per slot, phase bars (label, bottom, top), figure width and height."""
    columns = _columns(with_other, with_previous)
    rows = [(phase, {slot: column for slot, column in slots.items() if column in columns and slot in texts})
            for phase, slots in _ROWS]
    rows = [(phase, slots) for phase, slots in rows if slots]
    lines = {slot: _wrap(texts[slot], columns[column][1]) for _, slots in rows for slot, column in slots.items()}
    heights = [max([_height(lines[slot]) for slot in slots] + [len(phase) * _CHAR * 1.25 + 2 * _PAD])
               for phase, slots in rows]
    height = 2 * _MARGIN + sum(heights) + _ROW_GAP * (len(rows) - 1)
    width = max(x + w for x, w in columns.values()) + _MARGIN
    boxes: dict[str, _Box] = {}
    phases: list[tuple[str, float, float]] = []
    top = height - _MARGIN
    for (phase, slots), row_height in zip(rows, heights):
        middle = top - row_height / 2
        for slot, column in slots.items():
            x, w = columns[column]
            h = _height(lines[slot])
            boxes[slot] = _Box(x, middle - h / 2, w, h)
        if phase and phases and phases[-1][0] == phase:
            phases[-1] = (phase, top - row_height, phases[-1][2])
        elif phase:
            phases.append((phase, top - row_height, top))
        top -= row_height + _ROW_GAP
    return boxes, lines, phases, width, height


def draw(texts: dict[str, list[str]], *, with_other: bool, with_previous: bool) -> Figure:
    """The diagram of the boxes in ``texts`` (lines by slot, before wrapping); ``with_other`` adds the
    other-methods column, ``with_previous`` the previous-studies column and the total box."""
    boxes, lines, phases, width, height = _layout(texts, with_other, with_previous)
    figure = Figure(figsize=(width, height), dpi=150)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(0, height)
    axes.set_axis_off()
    fills = {"header": _HEADER_COLOUR, "other_header": _OTHER_HEADER_COLOUR, "previous_header": _OTHER_HEADER_COLOUR}
    for slot, box in boxes.items():
        _draw_box(axes, box, lines[slot], fills.get(slot, "white"), centred=slot in _CENTRED,
                  bold=slot in fills)
    for label, bottom, top in phases:
        bar = _Box(_MARGIN, bottom, _PHASE_WIDTH, top - bottom)
        axes.add_patch(FancyBboxPatch((bar.x, bar.y), bar.width, bar.height, boxstyle="round,pad=0,rounding_size=0.06",
                                      facecolor=_PHASE_COLOUR, edgecolor="black", linewidth=0.8))
        axes.text(bar.centre, bar.middle, label, rotation=90, ha="center", va="center", fontsize=_FONT_SIZE,
                  family=_FONT, fontweight="bold")
    for start, end in (("identified", "screened"), ("screened", "sought"), ("sought", "assessed"),
                       ("assessed", "included"), ("included", "total"), ("other_identified", "other_sought"),
                       ("other_sought", "other_assessed")):
        if start in boxes and end in boxes:
            _arrow(axes, (boxes[start].centre, boxes[start].y), (boxes[end].centre, boxes[end].top))
    for main, side in (("identified", "removed"), ("screened", "excluded"), ("sought", "not_retrieved"),
                       ("assessed", "ft_excluded"), ("other_sought", "other_not_retrieved"),
                       ("other_assessed", "other_excluded")):
        if main in boxes:
            _arrow(axes, (boxes[main].right, boxes[main].middle), (boxes[side].x, boxes[main].middle))
    if with_other:
        source, target = boxes["other_assessed"], boxes["included"]
        axes.add_line(Line2D([source.centre, source.centre], [source.y, target.middle], color="black",
                             linewidth=0.8))
        _arrow(axes, (source.centre, target.middle), (target.right, target.middle))
    if with_previous:
        source, target = boxes["previous"], boxes["total"]
        axes.add_line(Line2D([source.centre, source.centre], [source.y, target.middle], color="black",
                             linewidth=0.8))
        _arrow(axes, (source.centre, target.middle), (target.x, target.middle))
    return plain_text(figure)  # source names and reasons are drawn as written, never as mathtext


def _draw_box(axes, box: _Box, lines: list[str], fill: str, *, centred: bool, bold: bool) -> None:
    axes.add_patch(FancyBboxPatch((box.x, box.y), box.width, box.height, boxstyle="round,pad=0,rounding_size=0.04",
                                  facecolor=fill, edgecolor="black", linewidth=0.8))
    x = box.centre if centred else box.x + _PAD
    axes.text(x, box.middle, "\n".join(lines), ha="center" if centred else "left", va="center",
              multialignment="center" if centred else "left", fontsize=_FONT_SIZE, family=_FONT,
              fontweight="bold" if bold else "normal", linespacing=1.25)


def _arrow(axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    axes.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, linewidth=0.8, color="black",
                                   shrinkA=0, shrinkB=0))
