"""The ``screen`` stage: automation criteria, human decisions, conflicts, work queues, agreement.

Decisions attach to studies (deduplicated clusters): a decision names a ``study_id`` (also one
the study had before a merge, split or new export changed it) or a ``record_key`` whose records
are all in one study, and applies to that one study, so new exports never orphan earlier work
and no decision applies to several studies (see :func:`_study_of`).

Each study's path ends in exactly one place (automation, title/abstract, retrieval or full
text), and each record gets exactly one PRISMA box: the kept record of a study carries the
study's outcome, the other records of its cluster are duplicates.

Resolution of several reviewers at one stage:

* a row in the resolutions file for (study, stage) settles it;
* otherwise reviewers who all say include (or include and maybe, at title/abstract) give include;
  all saying exclude with the same reason give exclude (at title/abstract, different reasons
  give the first in config order); all saying maybe at title/abstract pass the study on to full
  text, while maybe at full text leaves it waiting in the queue; anything else is a conflict,
  listed and never guessed;
* a full-text decision for a study with no title/abstract decision implies it passed
  title/abstract screening;
* when ``screening.per_record`` in config.yaml asks for N independent decisions at a stage, a
  study with fewer than N reviewers' decisions (and no disagreement yet) is still pending, and
  its work-queue row names the reviewers who still owe one (``screening.reviewers``).

Automation. Criteria with stage ``automation`` run without a human: year limits, language,
entry or publication type, and ``search_string``, which re-checks ``search.concepts`` (AND of
OR-groups; a multi-word term is a phrase; a trailing ``*`` truncates) against the folded title,
abstract and keywords of a study. A study lacking the field a test needs (no year, no language,
no title, abstract or keywords) is listed in ``unchecked``, never excluded.

Search updates. Each source has a search ``round`` (1 unless config.yaml says otherwise); the
latest round among the sources is the current version of the review. A study with at least one
record from an earlier round belongs to the previous version: its decisions carry over by
record key or study id as for any study, one of its earlier-round records (the kept record when
it is one) carries the study's outcome in the ``previous_review`` box, its other earlier-round
records are duplicates in that box too, and its current-round records are counted as duplicate
records removed before screening (reason ``in_previous_version``). Studies whose records all
come from current-round exports are the new studies, the only ones the PRISMA flow of the
update screens. With a single round every study is new.
"""

from __future__ import annotations

import datetime
import difflib
import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from pipeline import agreement
from pipeline import columns as col
from pipeline import prioritise, stopping
from pipeline.config import Automation, Criterion, Settings
from pipeline.dedup.merge import clash_suffix, own_study_id
from pipeline.dedup.prep import author_fields, year_of
from pipeline.errors import DecisionError
from pipeline.io import dumps, file_lines, file_name, loads
from pipeline.keys import fold
from pipeline.progress import Progress
from pipeline.stage import Kind, Stage, file, from_config

log = logging.getLogger(__name__)

HUMAN_STAGES = (col.ScreenStage.TITLE_ABSTRACT.value, col.ScreenStage.FULL_TEXT.value)
DECISIONS = tuple(d.value for d in col.Decision)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE_SEPARATOR = re.compile(r"\s*[;,/|]\s*")
IN_PREVIOUS_VERSION = "in_previous_version"
# what to do about a key that names nothing (screening decisions, the extraction sheet)
UNKNOWN_KEY_FIX = "use a record_key or a study_id from the deduplicate stage's records.csv or studies.csv"
REVIEW_VERSION = "review_version"  # studies column: "previous" or "new"


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
    rows["line"] = [str(line) for line in file_lines(frame)]
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
                                fix="name a record_key or a study_id (the key column of the screen stage's work queues)")
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
        if record["date"] and not _is_date(record["date"]):
            raise DecisionError(f"date '{record['date']}' is not a YYYY-MM-DD calendar date", where=where,
                                fix="write dates as 2024-05-31")
        if not record["reviewer"]:
            raise DecisionError("no reviewer named", where=where,
                                fix="fill the reviewer column or name the file after the reviewer")
        listed = settings.screening.reviewers
        if listed and not resolutions and record["reviewer"] not in listed:
            raise DecisionError(f"reviewer '{record['reviewer']}' is not listed in config.yaml screening.reviewers",
                                where=where, fix=f"add them to screening.reviewers, or name one of: {', '.join(listed)}")
    duplicated = rows.duplicated(subset=["key", "stage", "reviewer"], keep=False)
    if duplicated.any():
        first = rows[duplicated].iloc[0]
        lines = rows.loc[duplicated & (rows["key"] == first["key"]) & (rows["stage"] == first["stage"]), "line"]
        raise DecisionError(
            f"reviewer '{first['reviewer']}' decides key '{first['key']}' at {first['stage']} more than once (lines {', '.join(lines)})",
            where=f"{file}:{lines.iloc[-1]}", fix="keep one row per key, stage and reviewer")
    return rows.reset_index(drop=True)


def _is_date(text: str) -> bool:
    """YYYY-MM-DD naming a real day (2024-02-30 is not one)."""
    if not _DATE.match(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


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


def term_pattern(term: str) -> str:
    """Regular expression for one search term on folded text.

    Quotes are dropped (a multi-word term is always a phrase); a trailing ``*`` truncates the
    last word; otherwise the term matches whole words only.
    """
    stripped = term.strip().strip('"').strip()
    truncated = stripped.endswith("*")
    words = fold(stripped.rstrip("*")).split()
    body = " ".join(re.escape(word) for word in words)
    return rf"(?<![a-z0-9]){body}" + ("" if truncated else r"(?![a-z0-9])")


def concept_patterns(concepts: tuple[tuple[str, ...], ...]) -> tuple[re.Pattern[str], ...]:
    """One compiled OR-pattern per concept group; a study must match every group."""
    return tuple(re.compile("|".join(f"(?:{term_pattern(term)})" for term in group if fold(term.rstrip("*"))))
                 for group in concepts)


def matches_search(text: str, groups: tuple[re.Pattern[str], ...]) -> bool:
    """Whether folded ``text`` has a term of every concept group."""
    folded = fold(text)
    return all(group.search(folded) for group in groups)


def _searchable_text(study: dict) -> str:
    keywords = loads(study.get(col.KEYWORDS) or "", []) or []
    parts = [study.get(col.TITLE) or "", study.get(col.ABSTRACT) or "", *[str(k) for k in keywords]]
    return " ".join(part for part in parts if part)


def _automation_failure(test: Automation, study: dict,
                        groups: tuple[re.Pattern[str], ...]) -> tuple[bool | None, str]:
    """(excluded?, note). None means the test could not be applied (value missing)."""
    if test.test in ("year_at_least", "year_at_most"):
        year = study.get(col.YEAR, "")
        if not re.fullmatch(r"\d{4}", year or ""):
            return None, "no year"
        if test.test == "year_at_least":
            return int(year) < int(test.value or 0), f"year {year}"
        return int(year) > int(test.value or 0), f"year {year}"
    if test.test == "search_string":
        text = _searchable_text(study)
        if not fold(text):
            return None, "no title, abstract or keywords"
        return not matches_search(text, groups), "search string"
    allowed = {v.lower() for v in test.values}
    if test.test == "language_in":
        languages = [lang for lang in _LANGUAGE_SEPARATOR.split((study.get(col.LANGUAGE) or "").strip().lower()) if lang]
        if not languages:
            return None, "no language"
        return not any(lang in allowed for lang in languages), f"language {', '.join(languages)}"
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
    """Automation outcome per study id (only excluded ones) and a table of tests not applied.

    Criteria run in config order; the first that excludes a study is its reason and the ones
    after it are not run. A test that cannot be applied to a study is listed, not failed.
    """
    excluded: dict[str, StageOutcome] = {}
    unchecked = []
    automated = [c for c in settings.criteria if c.stage == "automation" and c.automation is not None]
    groups = concept_patterns(settings.search.concepts)
    for study in studies.to_dict("records"):
        for criterion in automated:
            failed, note = _automation_failure(criterion.automation, study, groups)
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


class KeyIndex:
    """What a decision's key can name: a study by its current id, the records carrying a
    ``record_key``, or a study by an id it had before a merge, split or new export changed it."""

    def __init__(self, records: pd.DataFrame) -> None:
        self._records = records
        self.studies = frozenset(records[col.STUDY_ID].astype(str))
        self.records_of_key: dict[str, list[tuple[str, str]]] = {}  # record_key -> [(record_id, study_id)]
        for key, record_id, study in zip(records[col.RECORD_KEY].fillna("").astype(str),
                                         records[col.RECORD_ID].astype(str), records[col.STUDY_ID].astype(str)):
            self.records_of_key.setdefault(key, []).append((record_id, study))

    @cached_property
    def own_ids(self) -> pd.Series:
        """Each record's own study id (:func:`pipeline.dedup.merge.own_study_id`): the id its study
        has, or had, whenever the record owned the study's canonical key."""
        records = self._records
        people = {cell: author_fields(cell)[0] for cell in records[col.AUTHORS].fillna("").astype(str).unique()}
        return pd.Series([own_study_id(people[authors], year_of(year), key, record_id)
                          for authors, year, key, record_id in zip(
                              records[col.AUTHORS].fillna("").astype(str), records[col.YEAR].fillna("").astype(str),
                              records[col.RECORD_KEY].fillna("").astype(str), records[col.RECORD_ID].astype(str))],
                         index=records.index, dtype=object)

    @cached_property
    def earlier(self) -> dict[str, set[str]]:
        """A record's own study id -> the studies holding such records."""
        found: dict[str, set[str]] = {}
        for own, study in zip(self.own_ids, self._records[col.STUDY_ID].astype(str)):
            found.setdefault(own, set()).add(study)
        return found

    def earlier_ids(self) -> pd.Series:
        """Per study id: the ids other than its own that its records would give it, ";"-joined
        (for the extraction sheet, whose keys may name a study by an earlier id too)."""
        frame = pd.DataFrame({"own": self.own_ids, col.STUDY_ID: self._records[col.STUDY_ID].astype(str)})
        frame = frame[frame["own"] != frame[col.STUDY_ID]]
        return frame.groupby(col.STUDY_ID)["own"].agg(lambda ids: ";".join(sorted(set(ids))))

    @cached_property
    def first_ids(self) -> dict[str, set[str]]:
        """The clash suffix a record_id gives -> the studies holding that record."""
        found: dict[str, set[str]] = {}
        for record_id, study in zip(self._records[col.RECORD_ID].astype(str), self._records[col.STUDY_ID].astype(str)):
            found.setdefault(clash_suffix(record_id), set()).add(study)
        return found


def study_index(studies: pd.DataFrame, records: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Key -> the study ids it names, sorted, for everything downstream of screen that reads a key
    (extraction rows, the report's decisions): a study id names its study; a record_key the studies
    holding its records (``records``, else the studies' ``record_keys``); an id a study had before
    (``earlier_ids``) names that study when the key names nothing else."""
    if records is not None:
        pairs = zip(records[col.RECORD_KEY].astype(str), records[col.STUDY_ID].astype(str))
    else:
        pairs = ((key.strip(), study) for study, keys in zip(studies[col.STUDY_ID], studies[col.RECORD_KEYS].astype(str))
                 for key in keys.split(";"))
    index: dict[str, set[str]] = {}
    for key, study in pairs:
        if key:
            index.setdefault(key, set()).add(study)
    index.update({study: {study} for study in (studies if records is None else records)[col.STUDY_ID].astype(str)})
    earlier: dict[str, set[str]] = {}
    for study, ids in zip(studies[col.STUDY_ID].astype(str),
                          studies.get(col.EARLIER_IDS, pd.Series("", index=studies.index)).astype(str)):
        for key in filter(None, (key.strip() for key in ids.split(";"))):
            earlier.setdefault(key, set()).add(study)
    index.update({key: found for key, found in earlier.items() if key not in index})
    return {key: sorted(found) for key, found in index.items()}


def _listed(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _study_of(key: str, index: KeyIndex, where: str) -> tuple[str, bool]:
    """(the one study a decision's key names, whether it names it by an id the study no longer has).

    A key is a current study_id, a record_key whose records are all in one study, or a study_id
    the study had before: an id is made from one of the study's records (see
    :func:`pipeline.dedup.merge.own_study_id`), so the records still say which study it became.
    Anything else is an error: a key matching nothing, a record_key whose records are in several
    studies, an earlier id now spread over several studies.
    """
    if key in index.studies:
        return key, False
    if key in index.records_of_key:
        found = sorted(set(study for _, study in index.records_of_key[key]))
        if len(found) == 1:
            return found[0], False
        named = [f"{record_id} (study {study})" for record_id, study in sorted(index.records_of_key[key])]
        raise DecisionError(
            f"key '{key}' names {len(named)} records that are {len(found)} different studies: {_listed(named)}",
            where=where, fix=f"decide each study by its study_id instead ({_listed(found)}), one row per study")
    found = sorted(index.earlier.get(key, ()))
    plain, dash, suffix = key.rpartition("-")
    if not found and dash and len(suffix) == 4 and plain in index.earlier:
        found = sorted(index.earlier[plain] & index.first_ids.get(f"-{suffix}", set()))
    if len(found) == 1:
        return found[0], True
    if found:
        raise DecisionError(f"study '{key}' was split; its records are now the studies {_listed(found)}",
                            where=where, fix="decide each of them by its study_id, one row per study")
    raise DecisionError(f"key '{key}' matches no record or study", where=where,
                        fix=f"{UNKNOWN_KEY_FIX}; if the record left the exports, delete the row")


def _attach(decisions: pd.DataFrame, index: KeyIndex, *, resolutions: bool = False) -> pd.DataFrame:
    """The decisions with the ``study_id`` each applies to, one row per decision.

    A decision whose key names its study by an earlier id moves with the study, and the log says
    so. Two rows of one reviewer (of the resolutions file, for resolutions) on one study and stage
    under different keys count once when they agree, and are an error naming both when they do not.
    """
    studies = []
    for key, file, line in zip(decisions["key"], decisions["file"], decisions["line"]):
        study, moved = _study_of(key, index, f"{file}:{line}")
        if moved:
            log.info("%s:%s: study '%s' is now part of study '%s' (its records were merged, split or joined by "
                     "new records); the decision moved with it", file, line, key, study)
        studies.append(study)
    attached = decisions.assign(**{col.STUDY_ID: studies}).reset_index(drop=True)
    return _once_each(attached, [col.STUDY_ID, "stage"] if resolutions else [col.STUDY_ID, "stage", "reviewer"])


def _once_each(attached: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rows repeating ``by`` (one study reached under two keys): agreeing ones counted once,
    disagreeing ones an error."""
    repeated = attached[attached.duplicated(by, keep=False)]
    if repeated.empty:
        return attached
    for _, group in repeated.groupby(by, sort=False):
        rows = group.to_dict("records")
        places = "; ".join(f"{r['file']}:{r['line']} key '{r['key']}': {r['decision']}"
                           + (f" ({r['reason']})" if r["reason"] else "") for r in rows)
        first = rows[0]
        who = f"reviewer '{first['reviewer']}'" if "reviewer" in by else "the resolutions file"
        if len({(r["decision"], r["reason"]) for r in rows}) > 1:
            raise DecisionError(
                f"{who} decides study '{first[col.STUDY_ID]}' at {first['stage']} more than once, differently "
                f"({places}); the keys name the same study", where=f"{rows[-1]['file']}:{rows[-1]['line']}",
                fix="keep one of these rows")
        log.warning("%s decides study '%s' at %s more than once, the same way (%s); counted once",
                    who, first[col.STUDY_ID], first["stage"], places)
    return attached.drop_duplicates(by, keep="first").reset_index(drop=True)


def _agreement(decisions: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa (:mod:`pipeline.agreement`), PABAK and raw agreement per stage and reviewer pair."""
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
            result = agreement.kappa(list(both["a"]), list(both["b"]), categories)
            k = len(categories)
            pabak = (k * result.observed - 1) / (k - 1)
            rows.append({"stage": stage, "reviewer_a": a, "reviewer_b": b, "n": str(result.n),
                         "agree": str(result.agree), "raw_agreement": f"{result.observed:.4f}",
                         "kappa": agreement.fmt(result.kappa), "pabak": f"{pabak:.4f}",
                         "counts": dumps(result.cells())})
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
    index = KeyIndex(records)
    empty = pd.DataFrame(columns=[*col.SCREENING_DECISION_COLUMNS, "file", "line"])
    attached = _attach(decisions if len(decisions) else empty, index)
    resolved = _attach(resolutions if resolutions is not None and len(resolutions) else empty, index,
                       resolutions=True)

    record_rounds = _record_rounds(records, settings)
    previous = set(records.loc[record_rounds.to_numpy() < settings.current_round, col.STUDY_ID])
    study_table = _study_table(records, studies)
    earlier = index.earlier_ids().to_dict()
    study_table[col.EARLIER_IDS] = [earlier.get(study, "") for study in study_table[col.STUDY_ID]]
    study_table[REVIEW_VERSION] = ["previous" if sid in previous else "new" for sid in study_table[col.STUDY_ID]]

    automation, unchecked = apply_automation(study_table, settings)
    by_stage: dict[tuple[str, str], list[dict]] = {}
    for row in attached.to_dict("records"):
        by_stage.setdefault((row[col.STUDY_ID], row["stage"]), []).append(row)
    settled = {(r[col.STUDY_ID], r["stage"]): StageOutcome(r["decision"], r["reason"], r["reviewer"])
               for r in resolved.to_dict("records")}

    outcome_rows = []
    conflicts = []
    with Progress("screen", log) as progress:
        progress.start("deciding", len(study_table), "studies")
        for study in study_table.to_dict("records"):
            progress.advance()
            outcome_rows.append(_decide_study(study, automation.get(study[col.STUDY_ID]), by_stage, settled,
                                              conflicts, settings))

    outcomes = pd.DataFrame(outcome_rows, columns=[col.STUDY_ID, "ta_decision", "ta_reviewers", "ft_decision",
                                                   "ft_reviewers", *col.SCREEN_COLUMNS]).set_index(col.STUDY_ID)
    study_out = study_table.join(outcomes, on=col.STUDY_ID)
    rows = pd.concat([attached, resolved], ignore_index=True)
    stop_state, unscreened = stopping.assess(study_out, rows[rows["stage"] == "title_abstract"],
                                             settings.screening.stopping)
    if unscreened:
        outcomes.loc[unscreened, col.SCREEN_COLUMNS] = ["automation", "excluded", stopping.STOPPED_REASON,
                                                        "stopping rule", col.PrismaBox.AUTOMATION.value]
        study_out = study_table.join(outcomes, on=col.STUDY_ID)
    record_out = _records_with_boxes(records, outcomes, record_rounds < settings.current_round, previous)
    context = record_context(records)
    queues = {stage: _queue(study_out, stage, settings, context) for stage in HUMAN_STAGES}
    ranked, ordering = prioritise.order_queue(study_out, settings)
    queues["title_abstract"] = _in_rank_order(queues["title_abstract"], ranked)
    return {
        "records": record_out,
        "studies": study_out.sort_values(col.STUDY_ID, kind="stable").reset_index(drop=True),
        "conflicts": pd.DataFrame(conflicts, columns=CONFLICT_COLUMNS),
        "queue_title_abstract": queues["title_abstract"],
        "queue_full_text": queues["full_text"],
        "agreement": _agreement(attached),
        "unchecked": unchecked,
        "stopping": stop_state,
        "ordering": ordering,
    }


def _decide_study(study: dict, automation: StageOutcome | None, by_stage: dict[tuple[str, str], list[dict]],
                  settled: dict[tuple[str, str], StageOutcome], conflicts: list[dict], settings: Settings) -> dict:
    """One study's outcome at each human stage (a resolution first, else its reviewers' decisions)
    and its final row; a conflict is added to ``conflicts``."""
    sid = study[col.STUDY_ID]
    stage_outcomes = {}
    for stage in HUMAN_STAGES:
        if (sid, stage) in settled:
            stage_outcomes[stage] = settled[(sid, stage)]
        elif (sid, stage) in by_stage:
            outcome = _resolve(by_stage[(sid, stage)], stage, settings)
            decided = {r["reviewer"] for r in by_stage[(sid, stage)]}
            if outcome.decision != "conflict" and len(decided) < settings.screening.needed(stage):
                outcome = StageOutcome("pending", "", ";".join(sorted(decided)))
            if outcome.decision == "conflict":
                rows = by_stage[(sid, stage)]
                conflicts.append({**dict.fromkeys(CONFLICT_COLUMNS, ""), "key": sid, "stage": stage,
                                  col.TITLE: study.get(col.TITLE, ""),
                                  "decisions": "; ".join(f"{r['reviewer']}={r['decision']}"
                                                         + (f" ({r['reason']})" if r["reason"] else "")
                                                         for r in sorted(rows, key=lambda r: r["reviewer"]))})
            stage_outcomes[stage] = outcome
        else:
            stage_outcomes[stage] = StageOutcome("pending")
    return _final(sid, automation, stage_outcomes, settings)


def _record_rounds(records: pd.DataFrame, settings: Settings) -> pd.Series:
    """Search round of every record, from its source (1 for a source missing from the config)."""
    rounds = {source.id: source.round for source in settings.sources}
    return pd.Series([rounds.get(source, 1) for source in records[col.SOURCE]], index=records.index, dtype=int)


def _joined_keywords(cells: pd.Series) -> str:
    """Every keyword of a study's records, once each, as a JSON list."""
    words = {str(word) for cell in cells for word in (loads(cell, []) or [])}
    return dumps(sorted(words))


def _study_table(records: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """The studies with what screening and its queues need from their records."""
    kept = records[records[col.IS_DUPLICATE] != "true"].set_index(col.STUDY_ID)
    table = studies.copy()
    grouped = records.groupby(col.STUDY_ID, sort=True)
    table[col.RECORD_KEYS] = table[col.STUDY_ID].map(grouped[col.RECORD_KEY].agg(lambda s: ";".join(sorted(set(s)))))
    table["sources"] = table[col.STUDY_ID].map(grouped[col.SOURCE].agg(lambda s: ";".join(sorted(set(s)))))
    if col.KEYWORDS in records:
        table[col.KEYWORDS] = table[col.STUDY_ID].map(grouped[col.KEYWORDS].agg(_joined_keywords))
    for field in (col.LANGUAGE, col.ENTRY_TYPE, col.PUBLICATION_TYPES):
        table[field] = table[col.STUDY_ID].map(kept[field])
    for field in (col.YEAR, col.TITLE, col.ABSTRACT, col.AUTHORS, col.JOURNAL):
        if field not in table and field in kept:
            table[field] = table[col.STUDY_ID].map(kept[field])
    return table.fillna("")


def _final(study_id: str, automation: StageOutcome | None, stages: dict[str, StageOutcome],
           settings: Settings) -> dict:
    """Where a study's path ends: stage, decision, reason, reviewers, PRISMA box."""
    ta, ft = stages["title_abstract"], stages["full_text"]
    base = {col.STUDY_ID: study_id, "ta_decision": ta.decision, "ta_reviewers": ta.by,
            "ft_decision": ft.decision, "ft_reviewers": ft.by}
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


def _records_with_boxes(records: pd.DataFrame, outcomes: pd.DataFrame, earlier_round: pd.Series,
                        previous: set[str]) -> pd.DataFrame:
    """Each record's screening columns and PRISMA box (see the module docstring for updates)."""
    out = records.reset_index(drop=True)
    earlier = earlier_round.to_numpy()
    duplicate = (out[col.IS_DUPLICATE] == "true").to_numpy()
    per_study = outcomes.reindex(out[col.STUDY_ID])
    for name in col.SCREEN_COLUMNS:
        out[name] = per_study[name].to_numpy()
    of_previous = out[col.STUDY_ID].isin(previous).to_numpy()
    # the record that stands for a previous-version study: its kept record if from an earlier round
    candidates = out[earlier & of_previous].assign(_dup=duplicate[earlier & of_previous])
    candidates = candidates.sort_values([col.STUDY_ID, "_dup", col.RECORD_ID], kind="stable")
    representative = out.index.isin(candidates.drop_duplicates(col.STUDY_ID).index)
    removed = (duplicate & ~representative) | (of_previous & ~earlier)
    out.loc[removed, col.SCREEN_STAGE] = col.ScreenStage.DEDUPLICATION.value
    out.loc[removed, col.SCREEN_DECISION] = col.ScreenDecision.DUPLICATE.value
    out.loc[removed, col.SCREEN_REASON] = out.loc[removed, col.DEDUP_RULE]
    out.loc[removed, col.SCREEN_BY] = "deduplicate"
    out.loc[removed, col.PRISMA_BOX] = col.PrismaBox.DUPLICATE.value
    refound = of_previous & ~earlier
    out.loc[refound, col.SCREEN_REASON] = IN_PREVIOUS_VERSION
    out.loc[earlier & of_previous, col.PRISMA_BOX] = col.PrismaBox.PREVIOUS.value
    return out


# conflicts.csv is laid out as resolutions.csv: a row copied there and filled settles the conflict
CONFLICT_COLUMNS = [*col.RESOLUTION_COLUMNS, col.TITLE, "decisions"]
# what a queue row shows beside the decision columns: who still owes what, then the study as the
# reviewer needs it to decide, then the records behind it ("<source>:<export id> (<file> line <n>)")
QUEUE_CONTEXT = ["needed", "waiting_for", "decided_by", col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL, col.DOI,
                 col.PMID, col.ABSTRACT, "sources", "records", col.RECORD_KEYS]
NO_TITLE = "[no title in the export: see the records column]"
RESOLVER = "resolver (data/raw/decisions/resolutions.csv)"


def _readable_authors(cell: str) -> str:
    """``[["Seo", "H. J."], ...]`` as ``Seo, H. J.; ...``."""
    people = loads(cell, []) if cell else []
    if not isinstance(people, list):
        return str(cell)
    names = []
    for person in people:
        parts = [str(part) for part in person if part] if isinstance(person, list) else [str(person)]
        names.append(", ".join(parts))
    return "; ".join(name for name in names if name)


def _distinct(values: pd.Series) -> str:
    return "; ".join(sorted({value for value in values if value}))


def record_context(records: pd.DataFrame) -> pd.DataFrame:
    """Per study id: the DOIs and PMIDs of its records, and the records themselves."""
    frame = records[[col.STUDY_ID, col.RECORD_ID, col.FILE, col.LINE, col.DOI, col.PMID]].fillna("").astype(str)
    frame = frame.sort_values(col.RECORD_ID, kind="stable")
    described = frame[col.RECORD_ID] + " (" + frame[col.FILE].map(lambda path: path.rsplit("/", 1)[-1]) + \
        " line " + frame[col.LINE] + ")"
    grouped = frame.assign(described=described).groupby(col.STUDY_ID, sort=True)
    return pd.DataFrame({col.DOI: grouped[col.DOI].agg(_distinct), col.PMID: grouped[col.PMID].agg(_distinct),
                         "records": grouped["described"].agg("; ".join)})


def _owed(decision: str, decided_by: str, stage: str, settings: Settings) -> tuple[str, str]:
    """(what a waiting study still needs at ``stage``, from whom)."""
    if decision == "conflict":
        return "a resolution (reviewers disagree)", RESOLVER
    if decision == "maybe":
        return ("include or exclude: the study was 'maybe' at full text; the reviewer replaces it, or "
                "data/raw/decisions/resolutions.csv settles it"), decided_by
    done = [name for name in decided_by.split(";") if name]
    missing = max(settings.screening.needed(stage) - len(done), 1)
    if done:
        what = "1 more decision" if missing == 1 else f"{missing} more decisions"
    else:
        what = "a decision" if missing == 1 else f"{missing} independent decisions"
    listed = settings.screening.reviewers
    if listed:
        return what, ";".join(name for name in listed if name not in done)
    return what, f"any reviewer but {', '.join(done)}" if done else "any reviewer"


def _queue(studies: pd.DataFrame, stage: str, settings: Settings, context: pd.DataFrame) -> pd.DataFrame:
    """Studies that still need a decision at ``stage``, laid out as a decision file to fill in,
    with what a reviewer needs to tell which study a row is (``context``: :func:`record_context`)."""
    column, by = ("ta_decision", "ta_reviewers") if stage == "title_abstract" else ("ft_decision", "ft_reviewers")
    waiting = studies[(studies[column].isin(["pending", "conflict", "maybe"])) & (studies[col.SCREEN_STAGE] == stage)]
    waiting = waiting.drop(columns=[c for c in context.columns if c in waiting]).join(context, on=col.STUDY_ID)
    waiting = waiting.assign(**{
        col.TITLE: waiting[col.TITLE].where(waiting[col.TITLE].fillna("").str.strip() != "", NO_TITLE),
        col.AUTHORS: waiting[col.AUTHORS].fillna("").map(_readable_authors) if col.AUTHORS in waiting else "",
    })
    owed = [_owed(decision, decided, stage, settings) for decision, decided in zip(waiting[column], waiting[by])]
    queue = pd.DataFrame({
        "key": waiting[col.STUDY_ID], "stage": stage, "decision": "", "reason": "", "reviewer": "",
        "date": "", "note": "", "needed": [what for what, _ in owed], "waiting_for": [who for _, who in owed],
        "decided_by": waiting[by],
    }, columns=["key", "stage", "decision", "reason", "reviewer", "date", "note", *QUEUE_CONTEXT[:3]])
    for name in QUEUE_CONTEXT[3:]:
        queue[name] = waiting[name].fillna("") if name in waiting else ""
    return queue.sort_values("key", kind="stable").reset_index(drop=True)


def _in_rank_order(queue: pd.DataFrame, ranked: pd.DataFrame) -> pd.DataFrame:
    """The title/abstract queue, likeliest include first, with the model's ``rank``, ``score``
    and ``why`` (the words that raised the score most)."""
    ranks = ranked.set_index(col.STUDY_ID)
    placed = queue.assign(**{name: queue["key"].map(ranks[name]) for name in ("rank", "score", "why")})
    placed = placed.sort_values(["rank", "key"], kind="stable", na_position="last").reset_index(drop=True)
    return placed.assign(rank=placed["rank"].map(lambda value: "" if pd.isna(value) else str(int(value))),
                         score=placed["score"].map(lambda value: "" if pd.isna(value) else f"{value:.6f}"),
                         why=placed["why"].fillna(""))


def summary(result: dict[str, pd.DataFrame]) -> str:
    studies = result["studies"]
    counts = studies[col.PRISMA_BOX].value_counts()
    reasons = studies[studies[col.SCREEN_DECISION] == "excluded"][col.SCREEN_REASON].value_counts().sort_index()
    reason_text = ", ".join(f"{k}={v}" for k, v in reasons.items())
    pending = int(counts.get(col.PrismaBox.PENDING_TA.value, 0) + counts.get(col.PrismaBox.PENDING_FT.value, 0))
    line = (f"screen: {len(studies)} studies in; excluded {int((studies[col.SCREEN_DECISION] == 'excluded').sum())}"
            f"{f' ({reason_text})' if reason_text else ''}; included {int(counts.get('included', 0))}; "
            f"pending {pending}; conflicts {len(result['conflicts'])}")
    if REVIEW_VERSION in studies and (studies[REVIEW_VERSION] == "previous").any():
        previous = studies[REVIEW_VERSION] == "previous"
        line += (f"; update: {int(previous.sum())} studies from the previous version, "
                 f"{int((~previous).sum())} new")
    return line


# --- the stage's contract -------------------------------------------------------------------


# the columns of the validated decisions screen passes on to the report
VALIDATED_DECISION_COLUMNS = [*col.SCREENING_DECISION_COLUMNS, "file", "line"]
VALIDATED_RESOLUTION_COLUMNS = [*col.RESOLUTION_COLUMNS, "reviewer", "file", "line"]


@dataclass(frozen=True)
class Inputs:
    records: pd.DataFrame = file(Kind("table", "the deduplicated records",
                                      required=(*col.RECORD_COLUMNS, *col.DEDUP_COLUMNS)))
    studies: pd.DataFrame = file(Kind("table", "the deduplicated studies", required=(col.STUDY_ID,)))
    decisions: Mapping[str, pd.DataFrame] = file(Kind("tables", "screening decisions, one file per reviewer "
                                                      "(named after them)", line_numbers=True, optional=True))
    resolutions: pd.DataFrame = file(Kind("table", "settled conflicts", line_numbers=True, optional=True,
                                          empty=tuple(col.RESOLUTION_COLUMNS)))


@dataclass(frozen=True)
class Outputs:
    records: pd.DataFrame = file(Kind("table", "each record's decision, reason, stage and PRISMA box"))
    studies: pd.DataFrame = file(Kind("table", "each study's decisions"))
    conflicts: pd.DataFrame = file(Kind("table", "studies the reviewers disagree on, laid out as resolutions"))
    queue_title_abstract: pd.DataFrame = file(Kind("table", "the studies still to decide at title and abstract"))
    queue_full_text: pd.DataFrame = file(Kind("table", "the studies still to decide at full text"))
    agreement: pd.DataFrame = file(Kind("table", "agreement between reviewers"))
    unchecked: pd.DataFrame = file(Kind("table", "studies an automation criterion could not check"))
    decisions: pd.DataFrame = file(Kind("table", "every reviewer's decisions as validated, with file and line"))
    resolutions: pd.DataFrame = file(Kind("table", "the resolutions as validated, with file and line"))
    stopping: dict = file(Kind("json", "whether the stopping rule allows title/abstract screening to stop"))
    ordering: dict = file(Kind("json", "how the title/abstract queue was ordered: model, seed, inputs' digests"))


def run(inputs: Inputs, settings: Settings) -> Outputs:
    """Validate the decision files, then :func:`screen`."""
    frames = [validate_decisions(frame, path, settings, reviewer=Path(path).stem)
              for path, frame in sorted(inputs.decisions.items())]
    decisions = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VALIDATED_DECISION_COLUMNS))
    resolutions = validate_decisions(inputs.resolutions, file_name(inputs.resolutions, "resolutions"), settings,
                                     resolutions=True)
    result = screen(inputs.records, inputs.studies, decisions, settings, resolutions)
    log.info(summary(result))
    return Outputs(result["records"], result["studies"], result["conflicts"], result["queue_title_abstract"],
                   result["queue_full_text"], result["agreement"], result["unchecked"],
                   decisions.reindex(columns=VALIDATED_DECISION_COLUMNS, fill_value=""),
                   resolutions.reindex(columns=VALIDATED_RESOLUTION_COLUMNS, fill_value=""),
                   result["stopping"], result["ordering"])


STAGE = Stage("screen", "apply automation criteria and human screening decisions", Inputs, Outputs, run,
              from_config())
