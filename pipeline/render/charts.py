"""The evidence pyramid and the stacked bar charts, drawn from counts the figures stage has checked.

Colours come from one colour-blind-safe palette indexed by a level's position in ``config.yaml``, so a
level has the same colour in every chart. Each function returns a :class:`~matplotlib.figure.Figure`
built under :data:`pipeline.render.figure.STYLE`; saving is :func:`pipeline.render.figure.save`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import matplotlib
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from pipeline.render.figure import STYLE

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

APEX_HALF_WIDTH = 0.28  # half-width of the pyramid's top edge; the base has half-width 1
TIER_GAP = 0.06


class Tier(NamedTuple):
    """One level of the hierarchy as drawn: its label, its number of studies, its position in config.yaml."""

    label: str
    count: int
    position: int


class Series(NamedTuple):
    """One stack of a bar chart: the level's label, one value per bar, its position in config.yaml."""

    label: str
    values: list[int]
    position: int


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


def pyramid(tiers: Sequence[Tier], aside: Tier | None, included: int, unplaced: int) -> Figure:
    """Stacked trapezoids, the first tier on top; ``aside`` (the no-effect level) in a dashed box beside
    the base; ``unplaced`` studies, those without a configured level, in a note underneath."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(9.0, 1.0 + 1.15 * max(len(tiers), 2)), layout="constrained")
        axes = figure.add_subplot()
        _draw_tiers(axes, tiers)
        if aside is not None:
            _draw_aside(axes, aside)
        axes.set_xlim(-1.08, 2.28 if aside is not None else 1.08)
        axes.set_ylim(-0.45 if unplaced else -0.08, max(len(tiers), 1))
        axes.set_axis_off()
        axes.set_title(f"Hierarchy of evidence: {studies_text(included)} included")
        if unplaced:
            axes.text(0.0, -0.3, f"{studies_text(unplaced)} without a configured evidence level",
                      ha="center", va="center", fontstyle="italic")
    return figure


def _half_width(height: float, tiers: int) -> float:
    return 1.0 - (1.0 - APEX_HALF_WIDTH) * height / tiers


def _draw_tiers(axes: Axes, tiers: Sequence[Tier]) -> None:
    total = len(tiers)
    for index, tier in enumerate(tiers):
        bottom = total - index - 1
        top = bottom + 1 - TIER_GAP
        top_width, bottom_width = _half_width(top, total), _half_width(bottom, total)
        fill = level_colour(tier.position)
        axes.add_patch(Polygon(
            [(-bottom_width, bottom), (bottom_width, bottom), (top_width, top), (-top_width, top)],
            closed=True, facecolor=fill, edgecolor="white", linewidth=1.5,
        ))
        axes.text(0.0, (top + bottom) / 2, f"{tier.label}\n{studies_text(tier.count)}",
                  ha="center", va="center", fontsize=11, fontweight="bold", color=text_colour(fill))


def _draw_aside(axes: Axes, tier: Tier) -> None:
    """The contraindicated level: a box beside the pyramid's base, outside the hierarchy."""
    left, width = 1.28, 0.95
    fill = level_colour(tier.position)
    axes.add_patch(Rectangle((left, 0.0), width, 1.0 - TIER_GAP, facecolor=fill, edgecolor="black",
                             linewidth=1.2, linestyle="--"))
    axes.text(left + width / 2, (1.0 - TIER_GAP) / 2, f"{tier.label}\n{studies_text(tier.count)}",
              ha="center", va="center", fontsize=11, fontweight="bold", color=text_colour(fill))
    axes.text(left + width / 2, 1.0 + 0.05, "outside the hierarchy:\nno effect found",
              ha="center", va="bottom", fontsize=9, fontstyle="italic")


def stacked_bars(title: str, labels: list[str], stacks: Sequence[Series]) -> Figure:
    """Horizontal bars, one per label, each stacked by the series in order and ended by its total."""
    totals = [sum(series.values[i] for series in stacks) for i in range(len(labels))]
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(9.0, 1.9 + 0.34 * max(len(labels), 1)), layout="constrained")
        axes = figure.add_subplot()
        rows = list(range(len(labels)))
        left = [0] * len(labels)
        for series in stacks:
            axes.barh(rows, series.values, left=left, color=level_colour(series.position), label=series.label,
                      edgecolor="white", linewidth=0.6, height=0.72)
            left = [a + b for a, b in zip(left, series.values)]
        for row, total in zip(rows, totals):
            axes.text(total, row, f" {total}", ha="left", va="center", fontsize=9)
        axes.set_yticks(rows, labels)
        axes.invert_yaxis()
        axes.set_xlim(0, max(totals, default=0) * 1.08 + 1)
        axes.set_xlabel("Studies")
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        if not labels:
            axes.text(0.5, 0.5, "no studies", transform=axes.transAxes, ha="center", va="center")
        figure.legend(loc="outside lower center", ncols=len(stacks), frameon=False)
    return figure
