"""The ``audit`` stage: how far the classification is shared, and whether the findings depend on it.

* **Raters**: agreement per field and pair of raters (:mod:`pipeline.agreement`; the level also
  with linear and quadratic weights), the conflicts, each field's final value and its basis
  (:mod:`pipeline.raters`), and one blinded work queue per rater.
* **The rules as a rater**: the hierarchy's rules applied to each source's design and effect (each
  rater's file, and the single extraction sheet, whose stated level is its ``level_override``) give
  a level, compared with the level the source states: weighted kappa, the table, and every
  disagreement with its trail.
* **Robustness** (:mod:`pipeline.robustness`): each contested study moved to its other level, and
  what that changes in the tables, the interventions' highest levels and the level counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from pipeline import columns as col
from pipeline import raters, robustness
from pipeline.classify import RULE_OVERRIDE, SCREENED, SHEET, decide, included_studies, validate_extraction
from pipeline.config import Hierarchy, Settings
from pipeline.io import file_name
from pipeline.stage import Kind, Stage, file, from_config

log = logging.getLogger(__name__)

SINGLE = raters.SINGLE
RULES_VS_STATED = "rules vs stated level"
LEVEL_COLUMNS = ["source", col.STUDY_ID, "design", "effect", "rules_level", "stated_level", "agrees", "trail"]


def rules_vs_stated(source: str, rows: pd.DataFrame, included: list[str], hierarchy: Hierarchy) -> pd.DataFrame:
    """For each included study the source gives a level or a design: the rules' level from the
    source's design and effect beside the level the source states, and how each came about."""
    found = raters.values(rows)
    firsts = raters.first_rows(rows)
    rules = [r for r in hierarchy.precedence if r != RULE_OVERRIDE]
    out = []
    for study in included:
        stated = found.get((study, raters.LEVEL), "")
        if not stated and (study, "design") not in found:
            continue
        design = found.get((study, "design"), col.NOT_REPORTED)
        effect = found.get((study, "effect"), col.NOT_REPORTED)
        verdict = decide(design, effect, None, hierarchy, rules)
        trail = f"rules: {verdict.description}"
        if stated:
            row = firsts[(study, raters.LEVEL)]
            where = "; ".join(part for part in (row.get("note", ""), row.get("source", "")) if part)
            trail += f"; {source} states {stated}" + (f" ({where})" if where else "")
        agrees = "" if not (stated and verdict.level) else ("yes" if stated == verdict.level else "no")
        out.append({"source": source, col.STUDY_ID: study, "design": design, "effect": effect,
                    "rules_level": verdict.level, "stated_level": stated, "agrees": agrees, "trail": trail})
    return pd.DataFrame(out, columns=LEVEL_COLUMNS)


def finding_tables(settings: Settings) -> list[str]:
    """What the robustness verdicts cover: the configured tables, the interventions' highest levels
    and the level counts."""
    return [spec.id for spec in settings.tables] + [robustness.HIGHEST_LEVELS, robustness.LEVEL_COUNTS]


def alternatives(classified: pd.DataFrame, levels: pd.DataFrame) -> list[robustness.Alternative]:
    """Every other level someone gives an included study: the rules' on a source, or a source's stated one."""
    current = dict(zip(classified[col.STUDY_ID], classified[col.EVIDENCE_LEVEL]))
    found = []
    for row in levels.to_dict("records"):
        study = row[col.STUDY_ID]
        for level, who in ((row["rules_level"], f"the rules on {row['source']}"), (row["stated_level"], row["source"])):
            if level and study in current and level != current[study]:
                found.append(robustness.Alternative(study, level, who))
    return sorted(set(found), key=lambda a: (a.study_id, a.who, a.level))


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    studies: pd.DataFrame = file(SCREENED)
    classified: pd.DataFrame = file(Kind("table", "the classified studies",
                                         required=(col.STUDY_ID, col.EVIDENCE_LEVEL)))
    extraction: pd.DataFrame = file(SHEET)
    resolutions: pd.DataFrame = file(raters.RESOLUTIONS_FILE)
    raters: dict = file(raters.RATER_FILES)


@dataclass(frozen=True)
class Outputs:
    agreement: pd.DataFrame = file(Kind("table", "kappa per field and pair of raters, and of the rules and each source"))
    conflicts: pd.DataFrame = file(Kind("table", "every field the raters disagree on, open or resolved"))
    final: pd.DataFrame = file(Kind("table", "each study's final values and where each comes from"))
    levels: pd.DataFrame = file(Kind("table", "the rules' level beside each source's stated level, with the trail"))
    robustness: pd.DataFrame = file(Kind("table", "each finding that moves when a contested study takes another level"))
    verdicts: str = file(Kind("text", "one verdict per table, and the moving findings, in Markdown"))
    queues: dict = file(Kind("tables", "each rater's blinded work queue"))


def run(inputs: Inputs, settings: Settings) -> Outputs:
    hierarchy = settings.hierarchy
    single = validate_extraction(inputs.extraction, inputs.studies, hierarchy,
                                 file_name(inputs.extraction, "extraction sheet"))
    by_rater = raters.validate_raters(inputs.raters, inputs.studies, hierarchy)
    combined = raters.combine(single, by_rater, raters.validate_resolutions(inputs.resolutions, inputs.studies,
                                                                            hierarchy))
    included_frame = included_studies(inputs.studies)
    included = list(inputs.classified[col.STUDY_ID])
    levels = pd.concat([rules_vs_stated(source, rows, included, hierarchy)
                        for source, rows in [(SINGLE, single), *by_rater.items()]], ignore_index=True)
    rows = raters.between_raters(by_rater, hierarchy, single)
    for source, mine in levels.groupby("source", sort=False):
        both = mine[(mine["rules_level"] != "") & (mine["stated_level"] != "")]
        if both.empty:  # the source states no level the rules can also give
            continue
        rows += raters.agreement_rows(RULES_VS_STATED, raters.LEVEL, "rules", source, list(both["rules_level"]),
                                      list(both["stated_level"]), hierarchy)
    others = alternatives(inputs.classified, levels)
    moved = robustness.moves(inputs.classified, others, settings.tables, hierarchy)
    tables = finding_tables(settings)
    queues = {rater: raters.queue(rater, mine, included_frame) for rater, mine in by_rater.items()}
    log.info(summary(levels, combined.conflicts, others, moved, tables))
    return Outputs(pd.DataFrame(rows, columns=raters.AGREEMENT_COLUMNS), combined.conflicts, combined.final, levels,
                   moved, robustness.report(moved, others, tables), queues)


def summary(levels: pd.DataFrame, conflicts: pd.DataFrame, others: list, moved: pd.DataFrame, tables: list[str]) -> str:
    differ = int((levels["agrees"] == "no").sum())
    compared = int((levels["agrees"] != "").sum())
    stable = [t for t in tables if t not in set(moved["table"])]
    return (f"audit: rules and stated levels differ on {differ} of {compared} studies; "
            f"{len(conflicts)} rater conflict(s), {int((conflicts['status'] == 'open').sum())} open; "
            f"{len({a.study_id for a in others})} contested studies; {len(stable)} of {len(tables)} tables stable")


STAGE = Stage("audit", "agreement between raters and with the rules, and the findings' robustness", Inputs,
              Outputs, run, from_config())
