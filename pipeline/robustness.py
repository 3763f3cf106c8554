"""Do the findings survive disagreement? Each contested study moved to its other level, one at a time.

A study is contested when someone gives it another level than the one it has: the hierarchy's
rules applied to an extraction, or another rater's stated level. For each such alternative
(and, per source of alternatives covering several studies, for all of them at once) the
findings are computed again with that one change, exactly as the tables and classify stages
compute them: every configured table (Tables 2-6 and the interventions), each intervention's
highest level, and the number of studies per level. Every cell that moves is listed, and each
table gets a one-line verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline import columns as col
from pipeline import markdown
from pipeline.classify import rank_interventions
from pipeline.config import Hierarchy, TableSpec
from pipeline.tables import crosstab

LEVEL_COUNTS = "level_counts"
HIGHEST_LEVELS = "intervention_levels"
ALL = "all "  # a scenario moving every study one source contests
MOVE_COLUMNS = ["scenario", "studies", "table", "row", "column", "before", "after"]


@dataclass(frozen=True)
class Alternative:
    """``study_id`` would be at ``level`` in ``who``'s reading."""

    study_id: str
    level: str
    who: str


def findings(classified: pd.DataFrame, specs: Sequence[TableSpec], hierarchy: Hierarchy) -> dict[str, dict]:
    """Every reported number by table, row and column: the configured tables, the level counts and
    each intervention's highest level."""
    found: dict[str, dict] = {}
    for spec in specs:
        table = crosstab(classified, spec, hierarchy)
        heading = table.columns[0]
        found[spec.id] = {(str(row[heading]), str(name)): str(row[name])
                          for row in table.to_dict("records") for name in table.columns[1:]}
    labels = {lv.id: lv.label for lv in hierarchy.levels}
    counts = classified[col.EVIDENCE_LEVEL].value_counts()
    found[LEVEL_COUNTS] = {("studies", labels[level]): str(int(counts.get(level, 0))) for level in labels}
    ranked = rank_interventions(classified, hierarchy)
    found[HIGHEST_LEVELS] = {(str(name), "highest level"): labels.get(level, level or "none")
                             for name, level in zip(ranked["intervention"], ranked[col.EVIDENCE_LEVEL])}
    return found


def scenarios(alternatives: Sequence[Alternative]) -> list[tuple[str, tuple[Alternative, ...]]]:
    """Each alternative alone, then, for a source with alternatives for several studies, all of them."""
    alone = [(f"{a.study_id} at {a.level} ({a.who})", (a,)) for a in alternatives]
    together = []
    for who in sorted({a.who for a in alternatives}):
        mine = tuple(a for a in alternatives if a.who == who)
        if len({a.study_id for a in mine}) > 1 and len({a.study_id for a in mine}) == len(mine):
            together.append((f"{ALL}{len(mine)} at the levels of {who}", mine))
    return alone + together


def moves(classified: pd.DataFrame, alternatives: Sequence[Alternative], specs: Sequence[TableSpec],
          hierarchy: Hierarchy) -> pd.DataFrame:
    """Every cell of every finding that changes under each scenario, with its value before and after."""
    before = findings(classified, specs, hierarchy)
    rows = []
    for name, changes in scenarios(alternatives):
        changed = classified.copy()
        for change in changes:
            changed.loc[changed[col.STUDY_ID] == change.study_id, col.EVIDENCE_LEVEL] = change.level
        after = findings(changed, specs, hierarchy)
        for table in before:
            for cell in sorted(set(before[table]) | set(after[table])):
                old, new = before[table].get(cell, ""), after[table].get(cell, "")
                if old != new:
                    rows.append({"scenario": name, "studies": ";".join(c.study_id for c in changes), "table": table,
                                 "row": cell[0], "column": cell[1], "before": old, "after": new})
    return pd.DataFrame(rows, columns=MOVE_COLUMNS)


def verdicts(moved: pd.DataFrame, alternatives: Sequence[Alternative], tables: Sequence[str]) -> list[str]:
    """One line per table: stable under every contested study, or the studies and cells that move it
    (the values before and after are in :func:`moves`)."""
    studies = sorted({a.study_id for a in alternatives})
    alone = moved[~moved["scenario"].str.startswith(ALL)]
    lines = []
    for table in tables:
        mine = moved[moved["table"] == table]
        if mine.empty:
            lines.append(f"{table}: stable under all {len(studies)} contested studies")
            continue
        movers = sorted(set(alone.loc[alone["table"] == table, "studies"]))
        cells = list(dict.fromkeys(f"{r} / {c}" for r, c in zip(mine["row"], mine["column"])))
        lines.append(f"{table}: moves under {len(movers)} of {len(studies)} contested studies "
                     f"({', '.join(movers) or 'only all together'}); cells that move: {'; '.join(cells)}")
    return lines


def report(moved: pd.DataFrame, alternatives: Sequence[Alternative], tables: Sequence[str]) -> str:
    """The verdicts and the moving cells as Markdown."""
    out = ["# Robustness of the findings to contested levels", ""]
    if not alternatives:
        out += [markdown.line("No study is contested: every source gives each study the level it has."), ""]
    else:
        listed = "; ".join(f"{a.study_id} at {a.level} ({a.who})" for a in alternatives)
        out += [markdown.line(f"{len({a.study_id for a in alternatives})} contested studies, "
                              f"{len(alternatives)} other levels: {listed}"), ""]
    out += ["## Verdicts", ""] + [f"- {markdown.inline(text)}" for text in verdicts(moved, alternatives, tables)]
    if len(moved):
        out += ["", "## Findings that move", ""]
        out += markdown.table(MOVE_COLUMNS, moved[MOVE_COLUMNS].itertuples(index=False, name=None))
    return "\n".join(out) + "\n"
