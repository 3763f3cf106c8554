"""The figures stage: the evidence pyramid and one stacked bar chart per cross-tabulation.

This module checks and counts: how many classified studies sit at each configured level, and the
whole-number cells of each reproduced table. The drawing is :mod:`pipeline.render.charts`; every
figure is written by :func:`save` (:func:`pipeline.render.figure.save`), which the PRISMA stage uses
for its diagram too, with every text drawn as the characters it holds (no mathtext, no TeX).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from pipeline.columns import EVIDENCE_LEVEL
from pipeline.config import Hierarchy, Settings, TableSpec
from pipeline.errors import PipelineError
from pipeline.render import charts
from pipeline.render.figure import save
from pipeline.stage import Kind, Stage, file, from_config

log = logging.getLogger(__name__)

__all__ = ["dimension_chart", "figures", "level_counts", "pyramid", "save", "summary"]

TOTAL_LABEL = "Total"


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
    tiers, aside = [], None
    for position, level in enumerate(hierarchy.levels):
        tier = charts.Tier(level.label, counts[level.id], position)
        if level.id != hierarchy.no_effect_level:
            tiers.append(tier)
        elif aside is None:
            aside = tier
    unplaced = len(classified) - sum(counts.values())
    return charts.pyramid(tiers, aside, included=len(classified), unplaced=unplaced)


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
    stacks = [charts.Series(level.label, [_cell_number(value, spec.id, row, level.label)
                                          for row, value in zip(labels, body[level.label])], position)
              for position, level in enumerate(hierarchy.levels)]
    return charts.stacked_bars(spec.title, labels, stacks)


def figures(classified: pd.DataFrame, tables: Mapping[str, pd.DataFrame], settings: Settings) -> dict[str, Figure]:
    """Every figure of the stage by file stem: ``pyramid`` then one chart per configured table."""
    built = {"pyramid": pyramid(classified, settings.hierarchy)}
    for spec in settings.tables:
        if spec.id not in tables:
            raise PipelineError(f"no reproduced table '{spec.id}'", where=f"config.yaml tables: {spec.id}",
                                fix="run the tables stage with this config.yaml first")
        built[spec.id] = dimension_chart(tables[spec.id], spec, settings.hierarchy)
    return built


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
