"""Figures: the evidence pyramid and one stacked bar chart per cross-tabulation.

Every figure is built with matplotlib's object-oriented API (``matplotlib.figure.Figure``; pyplot's
global figure manager is never touched) under a fixed style, coloured from one colour-blind-safe
palette indexed by the level's position in ``config.yaml``. :func:`save` is the one function that
writes files, and it writes byte-identical files on every run: no dates, no software versions, fixed
SVG id salt. The PRISMA stage saves its diagram through the same :func:`save`.

Labels come from config.yaml and from extracted values, so every text is drawn as the characters it
holds: a ``$`` is a dollar sign, never the start of mathtext (``"$\\x$"`` would otherwise stop the stage
and ``"cost $5 to $10"`` come out in italics), and TeX is never run. :data:`STYLE` says so for every
text made while a figure is built or saved, and :func:`save` sets it on every text of the figure it
writes, whoever built it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from matplotlib.text import Text

from pipeline.columns import EVIDENCE_LEVEL
from pipeline.config import Hierarchy, Level, Settings, TableSpec
from pipeline.errors import ConfigError, PipelineError
from pipeline.stage import Kind, Stage, file, from_config

log = logging.getLogger(__name__)

# Okabe & Ito (2008) colour-blind-safe palette; entry i colours the i-th level of config.yaml.
LEVEL_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#999999",  # grey
)

# Applied while a figure is built and while it is saved, so a user's matplotlibrc changes nothing.
STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "svg.hashsalt": "evidence-pipeline",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "savefig.dpi": 200,
    "savefig.facecolor": "white",
    "text.parse_math": False,
    "text.usetex": False,
}

# Metadata that would change between runs or between matplotlib versions, blanked per format.
SAVE_METADATA: dict[str, dict[str, None]] = {
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}

TOTAL_LABEL = "Total"
APEX_HALF_WIDTH = 0.28  # half-width of the pyramid's top edge; the base has half-width 1
TIER_GAP = 0.06


def level_colour(position: int) -> str:
    """The palette colour of the level at ``position`` in the hierarchy (cycling past the end)."""
    return LEVEL_COLOURS[position % len(LEVEL_COLOURS)]


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (WCAG relative luminance)."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(fill)]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "black" if luminance > 0.179 else "white"


def studies_text(count: int) -> str:
    return f"{count} study" if count == 1 else f"{count} studies"


def level_counts(classified: pd.DataFrame, hierarchy: Hierarchy) -> dict[str, int]:
    """Number of classified studies at each configured level, in config order."""
    if EVIDENCE_LEVEL not in classified.columns:
        raise PipelineError(f"classified studies lack the column '{EVIDENCE_LEVEL}'",
                            where="classified studies", fix="run the classify stage before figures")
    tally = classified[EVIDENCE_LEVEL].astype(str).value_counts()
    return {level.id: int(tally.get(level.id, 0)) for level in hierarchy.levels}


def pyramid(classified: pd.DataFrame, hierarchy: Hierarchy) -> Figure:
    """The hierarchy of evidence as a pyramid of study counts, best level on top.

    The no-effect (contraindicated) level, when configured, sits in a separate dashed box beside
    the pyramid's base; studies without a configured level are counted in a note underneath.
    """
    counts = level_counts(classified, hierarchy)
    positions = {level.id: position for position, level in enumerate(hierarchy.levels)}
    tiers = [level for level in hierarchy.levels if level.id != hierarchy.no_effect_level]
    aside = next((level for level in hierarchy.levels if level.id == hierarchy.no_effect_level), None)
    unplaced = len(classified) - sum(counts.values())
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(9.0, 1.0 + 1.15 * max(len(tiers), 2)), layout="constrained")
        axes = figure.add_subplot()
        _draw_tiers(axes, tiers, counts, positions)
        if aside is not None:
            _draw_aside(axes, aside, counts[aside.id], level_colour(positions[aside.id]))
        axes.set_xlim(-1.08, 2.28 if aside is not None else 1.08)
        axes.set_ylim(-0.45 if unplaced else -0.08, max(len(tiers), 1))
        axes.set_axis_off()
        axes.set_title(f"Hierarchy of evidence: {studies_text(len(classified))} included")
        if unplaced:
            axes.text(0.0, -0.3, f"{studies_text(unplaced)} without a configured evidence level",
                      ha="center", va="center", fontstyle="italic")
    return figure


def _half_width(height: float, tiers: int) -> float:
    return 1.0 - (1.0 - APEX_HALF_WIDTH) * height / tiers


def _draw_tiers(axes: Axes, tiers: Sequence[Level], counts: Mapping[str, int],
                positions: Mapping[str, int]) -> None:
    """Stacked trapezoids, the first level at the top; each labelled with its count."""
    total = len(tiers)
    for index, level in enumerate(tiers):
        bottom = total - index - 1
        top = bottom + 1 - TIER_GAP
        top_width, bottom_width = _half_width(top, total), _half_width(bottom, total)
        fill = level_colour(positions[level.id])
        axes.add_patch(Polygon(
            [(-bottom_width, bottom), (bottom_width, bottom), (top_width, top), (-top_width, top)],
            closed=True, facecolor=fill, edgecolor="white", linewidth=1.5,
        ))
        axes.text(0.0, (top + bottom) / 2, f"{level.label}\n{studies_text(counts[level.id])}",
                  ha="center", va="center", fontsize=11, fontweight="bold", color=text_colour(fill))


def _draw_aside(axes: Axes, level: Level, count: int, fill: str) -> None:
    """The contraindicated level: a box beside the pyramid's base, outside the hierarchy."""
    left, width = 1.28, 0.95
    axes.add_patch(Rectangle((left, 0.0), width, 1.0 - TIER_GAP, facecolor=fill, edgecolor="black",
                             linewidth=1.2, linestyle="--"))
    axes.text(left + width / 2, (1.0 - TIER_GAP) / 2, f"{level.label}\n{studies_text(count)}",
              ha="center", va="center", fontsize=11, fontweight="bold", color=text_colour(fill))
    axes.text(left + width / 2, 1.0 + 0.05, "outside the hierarchy:\nno effect found",
              ha="center", va="bottom", fontsize=9, fontstyle="italic")


def _cell_number(value: object, table: str, row: str, column: str) -> int:
    text = str(value).strip().replace(",", "")
    if text == "":
        return 0
    if not text.isdigit():
        raise PipelineError(f"cell ({row!r}, {column!r}) is {value!r}, not a whole number",
                            where=f"table {table}", fix="rerun the tables stage; its cells are counts")
    return int(text)


def dimension_chart(table: pd.DataFrame, spec: TableSpec, hierarchy: Hierarchy) -> Figure:
    """Horizontal bars, one per table row (the Total row left out), stacked by evidence level."""
    if table.shape[1] == 0:
        raise PipelineError("the table has no columns", where=f"table {spec.id}",
                            fix="rerun the tables stage")
    missing = [level.label for level in hierarchy.levels if level.label not in table.columns]
    if missing:
        raise PipelineError(f"the table has no column for level(s) {', '.join(missing)}",
                            where=f"table {spec.id}",
                            fix="rerun the tables stage with the same config.yaml hierarchy")
    label_column = table.columns[0]
    body = table[table[label_column].astype(str).str.strip().str.casefold() != TOTAL_LABEL.casefold()]
    labels = body[label_column].astype(str).tolist()
    values = {
        level.label: [_cell_number(v, spec.id, row, level.label) for row, v in zip(labels, body[level.label])]
        for level in hierarchy.levels
    }
    totals = [sum(column[i] for column in values.values()) for i in range(len(labels))]
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(9.0, 1.9 + 0.34 * max(len(labels), 1)), layout="constrained")
        axes = figure.add_subplot()
        rows = list(range(len(labels)))
        left = [0] * len(labels)
        for position, level in enumerate(hierarchy.levels):
            widths = values[level.label]
            axes.barh(rows, widths, left=left, color=level_colour(position), label=level.label,
                      edgecolor="white", linewidth=0.6, height=0.72)
            left = [a + b for a, b in zip(left, widths)]
        for row, total in zip(rows, totals):
            axes.text(total, row, f" {total}", ha="left", va="center", fontsize=9)
        axes.set_yticks(rows, labels)
        axes.invert_yaxis()
        axes.set_xlim(0, max(totals, default=0) * 1.08 + 1)
        axes.set_xlabel("Studies")
        axes.set_title(spec.title)
        axes.spines[["top", "right"]].set_visible(False)
        if not labels:
            axes.text(0.5, 0.5, "no studies", transform=axes.transAxes, ha="center", va="center")
        figure.legend(loc="outside lower center", ncols=len(hierarchy.levels), frameon=False)
    return figure


def figures(classified: pd.DataFrame, tables: Mapping[str, pd.DataFrame], settings: Settings) -> dict[str, Figure]:
    """Every figure of the stage by file stem: ``pyramid`` then one chart per configured table."""
    built = {"pyramid": pyramid(classified, settings.hierarchy)}
    for spec in settings.tables:
        if spec.id not in tables:
            raise PipelineError(f"no reproduced table '{spec.id}'", where=f"config.yaml tables: {spec.id}",
                                fix="run the tables stage with this config.yaml first")
        built[spec.id] = dimension_chart(tables[spec.id], spec, settings.hierarchy)
    return built


def plain_text(figure: Figure) -> Figure:
    """Every text of ``figure`` drawn as its characters: no mathtext, no TeX."""
    for text in figure.findobj(Text):
        text.set_parse_math(False)
        text.set_usetex(False)
    return figure


def save(figure: Figure, stem: Path, formats: tuple[str, ...]) -> list[Path]:
    """Write ``figure`` as ``<stem>.<format>`` for each format; identical bytes on every run."""
    unknown = [fmt for fmt in formats if fmt not in SAVE_METADATA]
    if unknown:
        raise ConfigError(f"figure format(s) {', '.join(map(repr, unknown))} not supported",
                            where="config.yaml (figures.formats or prisma.formats)",
                            fix=f"use any of: {', '.join(sorted(SAVE_METADATA))}")
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    plain_text(figure)
    written = []
    for fmt in formats:
        path = stem.parent / f"{stem.name}.{fmt}"
        with matplotlib.rc_context(STYLE):
            figure.savefig(path, format=fmt, metadata=SAVE_METADATA[fmt])
        written.append(path)
    log.debug("wrote %s", ", ".join(str(p) for p in written))
    return written


def summary(paths: Iterable[Path]) -> str:
    """One line: how many files of each format were written."""
    paths = list(paths)
    by_format: dict[str, int] = {}
    for path in paths:
        fmt = Path(path).suffix.lstrip(".")
        by_format[fmt] = by_format.get(fmt, 0) + 1
    stems = sorted({Path(p).stem for p in paths})
    formats = ", ".join(f"{fmt}={n}" for fmt, n in sorted(by_format.items()))
    return f"figures: {len(paths)} files for {len(stems)} figures ({formats})"


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    classified: pd.DataFrame = file(Kind("table", "the classified studies", required=("study_id", EVIDENCE_LEVEL)))
    tables: Mapping[str, pd.DataFrame] = file(Kind("tables", "the tables stage's tables (file stems are table ids)"))


@dataclass(frozen=True)
class Outputs:
    pyramid: Figure = file(Kind("figure", "the evidence pyramid"))
    charts: Mapping[str, Figure] = file(Kind("figures", "chart"))  # by table id


def run(inputs: Inputs, settings: Settings) -> Outputs:
    built = figures(inputs.classified, {Path(path).stem: table for path, table in inputs.tables.items()}, settings)
    pyramid_figure = built.pop("pyramid")
    log.info("figures: the evidence pyramid and %d chart%s", len(built), "s" if len(built) != 1 else "")
    return Outputs(pyramid_figure, built)


STAGE = Stage("figures", "evidence pyramid and one chart per table", Inputs, Outputs, run, from_config())
