"""The ``screen`` stage: automation criteria, human decisions, conflicts, work queues, agreement.

Decisions attach to studies (deduplicated clusters): a decision names a ``record_key`` or a
``study_id`` and applies to every study containing it, so new exports never orphan earlier
work. Each study's path ends in exactly one place (automation, title/abstract, retrieval or full
text), and each record gets exactly one PRISMA box: the kept record of a study carries the
study's outcome, the other records of its cluster are duplicates.

Resolution of several reviewers at one stage:

* a row in the resolutions file for (study, stage) settles it;
* otherwise reviewers who all say include (or include and maybe, at title/abstract) give include;
  all saying exclude with the same reason give exclude; all saying maybe at title/abstract pass
  the study on to full text; anything else is a conflict, listed and never guessed;
* a full-text decision for a study with no title/abstract decision implies it passed
  title/abstract screening.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import re
from dataclasses import dataclass

import pandas as pd

from pipeline import columns as col
from pipeline.config import Criterion, Settings
from pipeline.errors import DecisionError
from pipeline.io import dumps, loads

log = logging.getLogger(__name__)

HUMAN_STAGES = (col.ScreenStage.TITLE_ABSTRACT.value, col.ScreenStage.FULL_TEXT.value)
DECISIONS = tuple(d.value for d in col.Decision)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class StageOutcome:
    decision: str  # include | exclude | maybe | pending | conflict
    reason: str = ""
    by: str = ""


# --- validation of decision files -----------------------------------------------------------


def _criterion_hint(settings: Settings, reason: str, kind: str) -> str:
    ids = [c.id for c in settings.criteria if c.kind == kind and c.stage != "automation"] or [
        c.id for c in settings.criteria if c.kind == kind]
    close = difflib.get_close_matches(reason, [c.id for c in settings.criteria], n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}use an {kind} criterion id from config.yaml: {', '.join(ids)}"


def validate_decisions(frame: pd.DataFrame, file: str, settings: Settings, *,
                       reviewer: str = "", resolutions: bool = False) -> pd.DataFrame:
    """Check a screening decision file (or the resolutions file) row by row.

    Returns the rows with ``reviewer`` filled (from the file name when the column is empty),
    plus ``file`` and ``line`` columns. Extra columns (title, abstract, ...) left in from a work
    queue are ignored.
    """
    who_column = "resolved_by" if resolutions else "reviewer"
    required = col.RESOLUTION_COLUMNS if resolutions else col.SCREENING_DECISION_COLUMNS
    missing = [c for c in required if c not in frame.columns and c not in (who_column, "date", "note")]
    if missing:
        raise DecisionError(f"missing column(s) {', '.join(missing)}", where=f"{file}:1",
                            fix=f"the header must be: {','.join(required)}")
    rows = frame.reindex(columns=list(dict.fromkeys([*required, *frame.columns])), fill_value="").copy()
    rows = rows.astype(str).apply(lambda series: series.str.strip())
    rows["line"] = [str(i + 2) for i in range(len(rows))]
    rows["file"] = file
    if who_column != "reviewer":
        rows["reviewer"] = rows[who_column]
    rows.loc[rows["reviewer"] == "", "reviewer"] = reviewer
    # a queue row left blank is not a decision yet
    rows = rows[~((rows["decision"] == "") & (rows["reason"] == ""))]
    for record in rows.to_dict("records"):
        where = f"{file}:{record['line']}"
        if not record["key"]:
            raise DecisionError("empty key", where=where,
                                fix="name a record_key or a study_id (see data/processed/screen/to_screen_*.csv)")
        if record["stage"] not in HUMAN_STAGES:
            raise DecisionError(f"stage '{record['stage']}' is not a screening stage", where=where,
                                fix=f"use one of: {', '.join(HUMAN_STAGES)}")
        if record["decision"] not in DECISIONS:
            raise DecisionError(f"decision '{record['decision']}' is not allowed", where=where,
                                fix=f"use one of: {', '.join(DECISIONS)}")
        if record["decision"] == "maybe" and resolutions:
            raise DecisionError("a resolution cannot be 'maybe'", where=where, fix="resolve to include or exclude")
        reason = record["reason"]
        if record["decision"] == "exclude" and not reason:
            raise DecisionError("an exclusion needs a reason", where=where,
                                fix=_criterion_hint(settings, "", "exclusion"))
        if reason:
            criterion = settings.criterion(reason)
            if criterion is None:
                raise DecisionError(f"unknown criterion '{reason}'", where=where,
                                    fix=_criterion_hint(settings, reason, "exclusion" if record["decision"] == "exclude" else "inclusion"))
            _check_reason_fits(criterion, record, where, settings)
        if record["date"] and not _DATE.match(record["date"]):
            raise DecisionError(f"date '{record['date']}' is not YYYY-MM-DD", where=where, fix="write dates as 2024-05-31")
        if not record["reviewer"]:
            raise DecisionError("no reviewer named", where=where,
                                fix="fill the reviewer column or name the file after the reviewer")
    duplicated = rows.duplicated(subset=["key", "stage", "reviewer"], keep=False)
    if duplicated.any():
        first = rows[duplicated].iloc[0]
        lines = rows.loc[duplicated & (rows["key"] == first["key"]) & (rows["stage"] == first["stage"]), "line"]
        raise DecisionError(
            f"reviewer '{first['reviewer']}' decides key '{first['key']}' at {first['stage']} more than once (lines {', '.join(lines)})",
            where=f"{file}:{lines.iloc[-1]}", fix="keep one row per key, stage and reviewer")
    return rows.reset_index(drop=True)


def _check_reason_fits(criterion: Criterion, record: dict, where: str, settings: Settings) -> None:
    decision = record["decision"]
    if decision == "exclude" and criterion.kind != "exclusion":
        raise DecisionError(f"'{criterion.id}' is an inclusion criterion, not a reason to exclude", where=where,
                            fix=_criterion_hint(settings, "", "exclusion"))
    if decision in ("include", "maybe") and criterion.kind != "inclusion":
        raise DecisionError(f"'{criterion.id}' is an exclusion criterion but the decision is '{decision}'",
                            where=where, fix="use decision exclude, or name an inclusion criterion (or none)")
    if criterion.stage == "retrieval" and record["stage"] != "full_text":
        raise DecisionError(f"'{criterion.id}' applies when a report is sought, not at {record['stage']}",
                            where=where, fix="record it at stage full_text")


# --- automation -----------------------------------------------------------------------------


def _automation_failure(criterion: Criterion, study: dict) -> tuple[bool | None, str]:
    """(excluded?, note). None means the test could not be applied (value missing)."""
    test = criterion.automation
    assert test is not None  # guaranteed by config validation
    if test.test in ("year_at_least", "year_at_most"):
        year = study.get(col.YEAR, "")
        if not re.fullmatch(r"\d{4}", year or ""):
            return None, "no year"
        if test.test == "year_at_least":
            return int(year) < int(test.value), f"year {year}"
        return int(year) > int(test.value), f"year {year}"
    allowed = {v.lower() for v in test.values}
    if test.test == "language_in":
        language = (study.get(col.LANGUAGE) or "").lower()
        if not language:
            return None, "no language"
        return language not in allowed, f"language {language}"
    if test.test == "entry_type_not_in":
        entry_type = study.get(col.ENTRY_TYPE) or ""
        if not entry_type:
            return None, "no publication type"
        return entry_type in allowed, f"type {entry_type}"
    types = [t.lower() for t in loads(study.get(col.PUBLICATION_TYPES, ""), [])]
    if not types:
        return None, "no publication type"
    return any(t in allowed for t in types), f"types {', '.join(types)}"


def apply_automation(studies: pd.DataFrame, settings: Settings) -> tuple[dict[str, StageOutcome], pd.DataFrame]:
    """Automation outcome per study id (only excluded ones) and a table of tests not applied."""
    excluded: dict[str, StageOutcome] = {}
    unchecked = []
    automated = [c for c in settings.criteria if c.stage == "automation"]
    for study in studies.to_dict("records"):
        for criterion in automated:
            failed, note = _automation_failure(criterion, study)
            if failed is None:
                unchecked.append({col.STUDY_ID: study[col.STUDY_ID], "criterion": criterion.id, "note": note})
            elif failed:
                excluded[study[col.STUDY_ID]] = StageOutcome("exclude", criterion.id, "automation")
                break
    table = pd.DataFrame(unchecked, columns=[col.STUDY_ID, "criterion", "note"])
    return excluded, table.sort_values([col.STUDY_ID, "criterion"], kind="stable").reset_index(drop=True)


# --- resolving human decisions --------------------------------------------------------------


def _resolve(rows: list[dict], stage: str, settings: Settings) -> StageOutcome:
    """Combine several reviewers' decisions at one stage for one study."""
    decisions = {r["decision"] for r in rows}
    reviewers = ";".join(sorted({r["reviewer"] for r in rows}))
    if decisions == {"include"} or (stage == "title_abstract" and decisions == {"include", "maybe"}):
        reasons = sorted({r["reason"] for r in rows if r["reason"]})
        return StageOutcome("include", reasons[0] if len(reasons) == 1 else "", reviewers)
    if decisions == {"maybe"}:
        return StageOutcome("maybe" if stage == "full_text" else "include", "", reviewers)
    if decisions == {"exclude"}:
        reasons = {r["reason"] for r in rows}
        if len(reasons) == 1:
            return StageOutcome("exclude", reasons.pop(), reviewers)
        if stage == "title_abstract":
            order = [c.id for c in settings.criteria]
            return StageOutcome("exclude", min(reasons, key=order.index), reviewers)
    return StageOutcome("conflict", "", reviewers)


def _key_index(records: pd.DataFrame) -> dict[str, set[str]]:
    """Map every record_key and study_id to the study ids it names."""
    index: dict[str, set[str]] = {}
    for key, study in zip(records[col.RECORD_KEY], records[col.STUDY_ID]):
        index.setdefault(key, set()).add(study)
    for study in records[col.STUDY_ID].unique():
        index.setdefault(study, set()).add(study)
    return index


def _attach(decisions: pd.DataFrame, index: dict[str, set[str]]) -> pd.DataFrame:
    """One row per (decision, study it applies to); unknown keys are errors."""
    studies = []
    for key, file, line in zip(decisions["key"], decisions["file"], decisions["line"]):
        found = index.get(key)
        if not found:
            raise DecisionError(f"key '{key}' matches no record or study", where=f"{file}:{line}",
                                fix="use a record_key from data/processed/ingest/records.csv or a study_id from "
                                    "data/processed/deduplicate/studies.csv; if the record left the exports, delete the row")
        studies.append(sorted(found))
    attached = decisions.assign(**{col.STUDY_ID: studies}).explode(col.STUDY_ID)
    return attached.reset_index(drop=True)


def _agreement(decisions: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa, PABAK and raw agreement per stage and reviewer pair."""
    rows = []
    for stage in HUMAN_STAGES:
        at_stage = decisions[decisions["stage"] == stage]
        reviewers = sorted(at_stage["reviewer"].unique())
        for a, b in itertools.combinations(reviewers, 2):
            left = at_stage[at_stage["reviewer"] == a].drop_duplicates(col.STUDY_ID).set_index(col.STUDY_ID)["decision"]
            right = at_stage[at_stage["reviewer"] == b].drop_duplicates(col.STUDY_ID).set_index(col.STUDY_ID)["decision"]
            both = left.to_frame("a").join(right.to_frame("b"), how="inner")
            if both.empty:
                continue
            categories = [d for d in DECISIONS if d in set(both["a"]) | set(both["b"])]
            if "maybe" not in categories:
                categories = [d for d in ("include", "exclude")]
            matrix = {f"{x}|{y}": int(((both["a"] == x) & (both["b"] == y)).sum()) for x in categories for y in categories}
            n = len(both)
            observed = sum(matrix[f"{c}|{c}"] for c in categories) / n
            expected = sum((both["a"] == c).mean() * (both["b"] == c).mean() for c in categories)
            kappa = "" if expected == 1 else f"{(observed - expected) / (1 - expected):.4f}"
            k = len(categories)
            pabak = (k * observed - 1) / (k - 1)
            rows.append({"stage": stage, "reviewer_a": a, "reviewer_b": b, "n": str(n),
                         "agree": str(sum(matrix[f"{c}|{c}"] for c in categories)),
                         "raw_agreement": f"{observed:.4f}", "kappa": kappa, "pabak": f"{pabak:.4f}",
                         "counts": dumps(matrix)})
    return pd.DataFrame(rows, columns=["stage", "reviewer_a", "reviewer_b", "n", "agree", "raw_agreement",
                                       "kappa", "pabak", "counts"])


def screen(records: pd.DataFrame, studies: pd.DataFrame, decisions: pd.DataFrame,
           settings: Settings, resolutions: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Screen deduplicated records.

    ``records`` and ``studies`` come from the deduplicate stage; ``decisions`` are validated
    rows of every reviewer's file; ``resolutions`` validated rows of the resolutions file.
    Returns the tables ``records``, ``studies``, ``conflicts``, ``queue_title_abstract``,
    ``queue_full_text``, ``agreement`` and ``unchecked``.
    """
    index = _key_index(records)
    empty = pd.DataFrame(columns=[*col.SCREENING_DECISION_COLUMNS, "file", "line"])
    attached = _attach(decisions if len(decisions) else empty, index)
    resolved = _attach(resolutions if resolutions is not None and len(resolutions) else empty, index)

    kept = records[records[col.IS_DUPLICATE] != "true"].set_index(col.STUDY_ID)
    study_table = studies.copy()
    keys = records.groupby(col.STUDY_ID, sort=True)[col.RECORD_KEY].agg(lambda s: ";".join(sorted(set(s))))
    sources = records.groupby(col.STUDY_ID, sort=True)[col.SOURCE].agg(lambda s: ";".join(sorted(set(s))))
    study_table["record_keys"] = study_table[col.STUDY_ID].map(keys).fillna("")
    study_table["sources"] = study_table[col.STUDY_ID].map(sources).fillna("")
    for field in (col.LANGUAGE, col.ENTRY_TYPE, col.PUBLICATION_TYPES):
        study_table[field] = study_table[col.STUDY_ID].map(kept[field]).fillna("")
    if col.YEAR not in study_table:
        study_table[col.YEAR] = study_table[col.STUDY_ID].map(kept[col.YEAR]).fillna("")

    automation, unchecked = apply_automation(study_table, settings)
    by_stage: dict[tuple[str, str], list[dict]] = {}
    for row in attached.to_dict("records"):
        by_stage.setdefault((row[col.STUDY_ID], row["stage"]), []).append(row)
    settled = {(r[col.STUDY_ID], r["stage"]): StageOutcome(r["decision"], r["reason"], r["reviewer"])
               for r in resolved.to_dict("records")}

    outcome_rows = []
    conflicts = []
    for study in study_table.to_dict("records"):
        sid = study[col.STUDY_ID]
        stage_outcomes = {}
        for stage in HUMAN_STAGES:
            if (sid, stage) in settled:
                stage_outcomes[stage] = settled[(sid, stage)]
            elif (sid, stage) in by_stage:
                outcome = _resolve(by_stage[(sid, stage)], stage, settings)
                if outcome.decision == "conflict":
                    rows = by_stage[(sid, stage)]
                    conflicts.append({col.STUDY_ID: sid, "stage": stage, col.TITLE: study.get(col.TITLE, ""),
                                      "decisions": "; ".join(f"{r['reviewer']}={r['decision']}"
                                                             + (f" ({r['reason']})" if r["reason"] else "")
                                                             for r in sorted(rows, key=lambda r: r["reviewer"]))})
                stage_outcomes[stage] = outcome
            else:
                stage_outcomes[stage] = StageOutcome("pending")
        outcome_rows.append(_final(sid, automation.get(sid), stage_outcomes, settings))

    outcomes = pd.DataFrame(outcome_rows).set_index(col.STUDY_ID)
    study_out = study_table.join(outcomes, on=col.STUDY_ID)
    record_out = _records_with_boxes(records, outcomes)
    queues = {stage: _queue(study_out, stage) for stage in HUMAN_STAGES}
    return {
        "records": record_out,
        "studies": study_out.sort_values(col.STUDY_ID, kind="stable").reset_index(drop=True),
        "conflicts": pd.DataFrame(conflicts, columns=[col.STUDY_ID, "stage", col.TITLE, "decisions"]),
        "queue_title_abstract": queues["title_abstract"],
        "queue_full_text": queues["full_text"],
        "agreement": _agreement(attached),
        "unchecked": unchecked,
    }


def _final(study_id: str, automation: StageOutcome | None, stages: dict[str, StageOutcome],
           settings: Settings) -> dict:
    """Where a study's path ends: stage, decision, reason, reviewers, PRISMA box."""
    ta, ft = stages["title_abstract"], stages["full_text"]
    base = {col.STUDY_ID: study_id, "ta_decision": ta.decision, "ft_decision": ft.decision}
    if automation is not None:
        return {**base, col.SCREEN_STAGE: "automation", col.SCREEN_DECISION: "excluded",
                col.SCREEN_REASON: automation.reason, col.SCREEN_BY: "automation", col.PRISMA_BOX: col.PrismaBox.AUTOMATION.value}
    if ta.decision == "pending" and ft.decision != "pending":
        ta = StageOutcome("include", "", "implied by full-text decision")
        base["ta_decision"] = "include"
    if ta.decision == "exclude":
        return {**base, col.SCREEN_STAGE: "title_abstract", col.SCREEN_DECISION: "excluded",
                col.SCREEN_REASON: ta.reason, col.SCREEN_BY: ta.by, col.PRISMA_BOX: col.PrismaBox.TA_EXCLUDED.value}
    if ta.decision in ("pending", "conflict"):
        return {**base, col.SCREEN_STAGE: "title_abstract", col.SCREEN_DECISION: ta.decision,
                col.SCREEN_REASON: "", col.SCREEN_BY: ta.by, col.PRISMA_BOX: col.PrismaBox.PENDING_TA.value}
    if ft.decision == "exclude":
        criterion = settings.criterion(ft.reason)
        retrieval = criterion is not None and criterion.stage == "retrieval"
        return {**base, col.SCREEN_STAGE: "retrieval" if retrieval else "full_text", col.SCREEN_DECISION: "excluded",
                col.SCREEN_REASON: ft.reason, col.SCREEN_BY: ft.by,
                col.PRISMA_BOX: (col.PrismaBox.NOT_RETRIEVED if retrieval else col.PrismaBox.FT_EXCLUDED).value}
    if ft.decision == "include":
        return {**base, col.SCREEN_STAGE: "full_text", col.SCREEN_DECISION: "included",
                col.SCREEN_REASON: ft.reason, col.SCREEN_BY: ft.by, col.PRISMA_BOX: col.PrismaBox.INCLUDED.value}
    state = "conflict" if ft.decision == "conflict" else "pending"
    return {**base, col.SCREEN_STAGE: "full_text", col.SCREEN_DECISION: state,
            col.SCREEN_REASON: "", col.SCREEN_BY: ft.by, col.PRISMA_BOX: col.PrismaBox.PENDING_FT.value}


def _records_with_boxes(records: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    out = records.copy()
    duplicate = out[col.IS_DUPLICATE] == "true"
    per_study = outcomes.reindex(out[col.STUDY_ID])
    for name in col.SCREEN_COLUMNS:
        out[name] = per_study[name].to_numpy()
    out.loc[duplicate, col.SCREEN_STAGE] = col.ScreenStage.DEDUPLICATION.value
    out.loc[duplicate, col.SCREEN_DECISION] = col.ScreenDecision.DUPLICATE.value
    out.loc[duplicate, col.SCREEN_REASON] = out.loc[duplicate, col.DEDUP_RULE]
    out.loc[duplicate, col.SCREEN_BY] = "deduplicate"
    out.loc[duplicate, col.PRISMA_BOX] = col.PrismaBox.DUPLICATE.value
    return out


QUEUE_CONTEXT = ["needed", col.TITLE, col.ABSTRACT, col.AUTHORS, col.YEAR, col.JOURNAL, "sources", "record_keys"]


def _queue(studies: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Studies that still need a decision at ``stage``, laid out as a decision file to fill in."""
    column = "ta_decision" if stage == "title_abstract" else "ft_decision"
    waiting = studies[(studies[column].isin(["pending", "conflict"])) & (studies[col.SCREEN_STAGE] == stage)]
    queue = pd.DataFrame({
        "key": waiting[col.STUDY_ID], "stage": stage, "decision": "", "reason": "", "reviewer": "",
        "date": "", "note": "",
        "needed": waiting[column].map({"pending": "a decision", "conflict": "a resolution (reviewers disagree)"}),
    })
    for name in QUEUE_CONTEXT[1:]:
        queue[name] = waiting[name] if name in waiting else ""
    return queue.sort_values("key", kind="stable").reset_index(drop=True)


def summary(result: dict[str, pd.DataFrame]) -> str:
    studies = result["studies"]
    counts = studies[col.PRISMA_BOX].value_counts()
    reasons = studies[studies[col.SCREEN_DECISION] == "excluded"][col.SCREEN_REASON].value_counts().sort_index()
    reason_text = ", ".join(f"{k}={v}" for k, v in reasons.items())
    pending = int(counts.get(col.PrismaBox.PENDING_TA.value, 0) + counts.get(col.PrismaBox.PENDING_FT.value, 0))
    return (f"screen: {len(studies)} studies in; excluded {int((studies[col.SCREEN_DECISION] == 'excluded').sum())}"
            f"{f' ({reason_text})' if reason_text else ''}; included {int(counts.get('included', 0))}; "
            f"pending {pending}; conflicts {len(result['conflicts'])}")
