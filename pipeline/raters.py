"""Independent raters: one extraction file each, their conflicts, resolutions and final values.

Each rater keeps ``data/raw/extraction/<rater>.csv`` in the layout of the single extraction sheet
(``key,field,value,source,quote,extractor,note``); the file's name is the rater. Besides the
sheet's fields a rater may state the ``level`` they give the study. Every file is checked like the
single sheet (:func:`pipeline.classify.validate_extraction`), with the same one-line errors.

For each included study and field the raters' values are compared (interventions as sets):

* a row of ``data/raw/decisions/extraction_resolutions.csv`` (``key,field,value,resolved_by,date,
  note``, several rows for several interventions) settles the field: basis ``resolution``;
* otherwise raters who all give the same value agree: basis ``agreement`` (``one_rater`` when only
  one of them has filled the field so far);
* otherwise it is a conflict, listed and never guessed: the field has no final value;
* a field no rater has filled keeps the single sheet's value: basis ``single_file``; where a rater
  fills a field the sheet holds, the sheet's value is compared like one more rater's
  (``extraction.csv``), so checking the sheet either agrees with it or opens a conflict.

The final values replace the single sheet's rows of the fields they cover, so the classify stage
classifies every study from them; an agreed or resolved ``level`` takes the place of a
``level_override`` (the level the raters give, as the shipped review's lists do).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import agreement
from pipeline import columns as col
from pipeline.config import Hierarchy
from pipeline.errors import DecisionError
from pipeline.io import dumps, file_lines, file_name
from pipeline.stage import Kind

log = logging.getLogger(__name__)

KEY, FIELD, VALUE, SOURCE, QUOTE, EXTRACTOR, NOTE = col.EXTRACTION_COLUMNS
INTERVENTION = "intervention"
LEVEL = col.RATER_LEVEL
LEVEL_OVERRIDE = "level_override"
# what a rater fills for each study (a stated level rather than an override with its reason)
QUEUE_FIELDS = [f for f in col.RATER_FIELDS if f != LEVEL_OVERRIDE]
NOMINAL_FIELDS = ("design", "effect", "country", "setting", "provider_population", "client_population")
RESOLUTION_COLUMNS = ["key", "field", "value", "resolved_by", "date", "note"]
SINGLE = "extraction.csv"  # the single sheet, when the outputs name it beside the raters
RESERVED = ("rules", "resolution", SINGLE)  # names the outputs use for the rules, a resolution and the sheet

# how the stages that read the raters (classify, audit) declare their files
RESOLUTIONS_FILE = Kind("table", "the resolutions of the raters' conflicts", line_numbers=True, optional=True,
                        empty=tuple(RESOLUTION_COLUMNS))
RATER_FILES = Kind("tables", "each rater's extraction file", line_numbers=True, optional=True)

AGREEMENT, ONE_RATER, RESOLUTION = "agreement", "one_rater", "resolution"
SINGLE_FILE, CONFLICT = "single_file", "conflict"
FINAL_COLUMNS = [col.STUDY_ID, FIELD, VALUE, "basis", "values", "resolved_by", NOTE]
CONFLICT_COLUMNS = [col.STUDY_ID, FIELD, "values", "status", VALUE, "resolved_by", NOTE]
QUEUE_CONTEXT = [col.TITLE, col.YEAR, col.JOURNAL]
AGREEMENT_COLUMNS = ["comparison", FIELD, "weights", "rater_a", "rater_b", "n", "agree", "observed", "expected",
                     "kappa", "se", "ci_low", "ci_high", "undefined", "table"]


def rater_of(path: str) -> str:
    """A rater file's rater: the file name without ``.csv``."""
    return Path(path).stem


def validate_raters(files: Mapping[str, pd.DataFrame], studies: pd.DataFrame,
                    hierarchy: Hierarchy) -> dict[str, pd.DataFrame]:
    """Every rater's rows, checked and resolved to studies, by rater (sorted)."""
    from pipeline.classify import validate_extraction

    validated = {}
    for path, frame in sorted(files.items(), key=lambda item: rater_of(item[0])):
        rater = rater_of(path)
        where = file_name(frame, path)
        if rater in RESERVED:
            raise DecisionError(f"'{rater}' cannot name a rater: the audit uses it for {rater}",
                                where=f"{where}:1", fix="rename the file after the person who extracted")
        validated[rater] = validate_extraction(frame, studies, hierarchy, where, fields=col.RATER_FIELDS)
    return validated


def validate_resolutions(frame: pd.DataFrame, studies: pd.DataFrame, hierarchy: Hierarchy) -> pd.DataFrame:
    """The resolutions file's rows, checked like a rater's and resolved to studies."""
    from pipeline.classify import validate_extraction

    where = file_name(frame, "extraction resolutions")
    header = ", ".join(RESOLUTION_COLUMNS)
    if list(frame.columns) != RESOLUTION_COLUMNS:
        raise DecisionError(f"the header is {', '.join(map(str, frame.columns)) or 'empty'}", where=f"{where}:1",
                            fix=f"the header must be: {header}")
    sheet = pd.DataFrame({KEY: frame["key"], FIELD: frame["field"], VALUE: frame["value"], SOURCE: "",
                          QUOTE: "", EXTRACTOR: frame["resolved_by"], NOTE: frame["note"]})
    sheet.attrs.update(frame.attrs)
    empty = [line for line, who in zip(file_lines(frame), frame["resolved_by"]) if not str(who).strip()]
    if empty:
        raise DecisionError("the resolution names nobody in resolved_by", where=f"{where}:{empty[0]}",
                            fix="write who settled the conflict")
    return validate_extraction(sheet, studies, hierarchy, where, fields=QUEUE_FIELDS)


def values(rows: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(study, field) -> the value in ``rows``; interventions as their sorted values joined by "; "."""
    found: dict[tuple[str, str], list[str]] = {}
    for study, field, value in zip(rows[col.STUDY_ID], rows[FIELD], rows[VALUE]):
        found.setdefault((study, LEVEL if field == LEVEL_OVERRIDE else field), []).append(value)
    return {key: "; ".join(sorted(set(vs))) if key[1] == INTERVENTION else vs[0] for key, vs in found.items()}


@dataclass(frozen=True)
class Combined:
    extraction: pd.DataFrame  # the rows classify reads: the single sheet's, with the raters' final values
    final: pd.DataFrame  # one row per (study, field) the raters cover, with its basis
    conflicts: pd.DataFrame  # every (study, field) the raters disagree on, open or resolved


def combine(single: pd.DataFrame, raters: Mapping[str, pd.DataFrame], resolutions: pd.DataFrame) -> Combined:
    """The final value of every field the raters fill, and the extraction rows that follow from it.

    Where a rater fills a field the single sheet also holds, the sheet is one more rater: a rater
    checking the sheet agrees with it or opens a conflict, and never silently replaces it."""
    sources = {**raters, SINGLE: single} if len(single) else dict(raters)
    by_rater = {rater: values(rows) for rater, rows in sources.items()}
    rows_of = {rater: first_rows(rows) for rater, rows in sources.items()}
    settled = values(resolutions)
    settled_rows = first_rows(resolutions)
    covered = sorted({key for rater in raters for key in by_rater[rater]} | set(settled))
    finals, conflicts, extraction = [], [], []
    for study, field in covered:
        given = {rater: found[(study, field)] for rater, found in by_rater.items() if (study, field) in found}
        distinct = sorted(set(given.values()))
        resolution = settled_rows.get((study, field))
        if resolution is not None:
            value, basis, who, note = settled[(study, field)], RESOLUTION, resolution[EXTRACTOR], resolution[NOTE]
        elif len(distinct) == 1:
            value, basis, who, note = distinct[0], AGREEMENT if len(given) > 1 else ONE_RATER, "", ""
        else:
            value, basis, who, note = "", CONFLICT, "", ""
        shown = dumps(given)
        finals.append({col.STUDY_ID: study, FIELD: field, VALUE: value, "basis": basis, "values": shown,
                       "resolved_by": who, NOTE: note})
        if len(distinct) > 1:
            conflicts.append({col.STUDY_ID: study, FIELD: field, "values": shown,
                              "status": "resolved" if resolution is not None else "open", VALUE: value,
                              "resolved_by": who, NOTE: note})
        if basis != CONFLICT:
            first = resolution if resolution is not None else next(rows_of[r][(study, field)] for r in given)
            extraction += _extraction_rows(study, field, value, basis, list(given), first)
    final = pd.DataFrame(finals, columns=FINAL_COLUMNS)
    covered_keys = set(covered)
    keep = [(study, LEVEL if field == LEVEL_OVERRIDE else field) not in covered_keys
            for study, field in zip(single[col.STUDY_ID], single[FIELD])]
    kept = single.loc[keep]
    final = pd.concat([final, _single_finals(kept)], ignore_index=True)
    final = final.sort_values([col.STUDY_ID, FIELD], kind="stable")
    combined = pd.concat([kept, pd.DataFrame(extraction, columns=list(single.columns))], ignore_index=True)
    open_count = sum(1 for c in conflicts if c["status"] == "open")
    if raters:
        log.info("raters: %d rater(s); %d field value(s) compared; %d conflict(s), %d open", len(raters),
                 len(covered), len(conflicts), open_count)
    return Combined(combined.reset_index(drop=True), final.reset_index(drop=True),
                    pd.DataFrame(conflicts, columns=CONFLICT_COLUMNS))


def first_rows(rows: pd.DataFrame) -> dict[tuple[str, str], dict]:
    first: dict[tuple[str, str], dict] = {}
    for row in rows.to_dict("records"):
        field = LEVEL if row[FIELD] == LEVEL_OVERRIDE else row[FIELD]
        first.setdefault((row[col.STUDY_ID], field), row)
    return first


def _extraction_rows(study: str, field: str, value: str, basis: str, raters: list[str], first: dict) -> list[dict]:
    """The sheet rows of one final value; a level becomes the override it is, with where it comes from."""
    who = first[EXTRACTOR] if basis == RESOLUTION else ", ".join(raters)
    note = f"{basis} ({who})" + (f": {first[NOTE]}" if first.get(NOTE) else "")
    parts = value.split("; ") if field == INTERVENTION else [value]
    return [{KEY: study, FIELD: LEVEL_OVERRIDE if field == LEVEL else field, VALUE: part,
             SOURCE: first.get(SOURCE, ""), QUOTE: first.get(QUOTE, ""), EXTRACTOR: who, NOTE: note,
             col.STUDY_ID: study, col.LINE: first.get(col.LINE, 0)} for part in parts]


def _single_finals(single: pd.DataFrame) -> pd.DataFrame:
    found = values(single)
    return pd.DataFrame([{col.STUDY_ID: study, FIELD: field, VALUE: value, "basis": SINGLE_FILE, "values": "",
                          "resolved_by": "", NOTE: ""} for (study, field), value in sorted(found.items())],
                        columns=FINAL_COLUMNS)


# --- agreement and work queues ---------------------------------------------------------------


def categories(field: str, hierarchy: Hierarchy, seen: list[str]) -> list[str]:
    """A field's categories: the configured vocabulary where there is one, else the values seen."""
    if field == LEVEL:
        return [lv.id for lv in hierarchy.levels]
    if field == "design":
        return [*(d.id for d in hierarchy.designs), col.NOT_REPORTED]
    if field == "effect":
        return [e.value for e in col.Effect]
    return sorted(set(seen))


def agreement_rows(comparison: str, field: str, rater_a: str, rater_b: str, first: list[str], second: list[str],
                   hierarchy: Hierarchy) -> list[dict[str, str]]:
    """One row per kappa (nominal; for the level also linear and quadratic) of two raters' paired values."""
    cats = categories(field, hierarchy, [*first, *second])
    rows = []
    for weights in ([None, "linear", "quadratic"] if field == LEVEL else [None]):
        result = agreement.kappa(first, second, cats, weights)
        rows.append({"comparison": comparison, FIELD: field, "weights": result.weights, "rater_a": rater_a,
                     "rater_b": rater_b, "n": str(result.n), "agree": str(result.agree),
                     "observed": agreement.fmt(result.observed), "expected": agreement.fmt(result.expected),
                     "kappa": agreement.fmt(result.kappa), "se": agreement.fmt(result.se),
                     "ci_low": agreement.fmt(result.low), "ci_high": agreement.fmt(result.high),
                     "undefined": result.undefined, "table": dumps(result.cells())})
    return rows


def between_raters(raters: Mapping[str, pd.DataFrame], hierarchy: Hierarchy,
                   single: pd.DataFrame | None = None) -> list[dict[str, str]]:
    """Kappa per field and pair of raters (the single sheet one of them when there are raters), over
    the studies both have filled the field for."""
    sources = {**raters, SINGLE: single} if raters and single is not None and len(single) else dict(raters)
    by_rater = {rater: values(rows) for rater, rows in sources.items()}
    rows = []
    for a, b in itertools.combinations(sorted(by_rater), 2):
        for field in [*NOMINAL_FIELDS, LEVEL]:
            shared = sorted(study for (study, f) in by_rater[a] if f == field and (study, f) in by_rater[b])
            if not shared:  # the two never filled this field for the same study: nothing to compare
                continue
            first = [by_rater[a][(study, field)] for study in shared]
            second = [by_rater[b][(study, field)] for study in shared]
            rows += agreement_rows("between raters", field, a, b, first, second, hierarchy)
    return rows


def queue(rater: str, rows: pd.DataFrame, included: pd.DataFrame) -> pd.DataFrame:
    """A rater's work: each included study's fields the rater has not filled, blank, in the rater's
    file layout, with what tells the study apart. Nobody else's values are in it."""
    filled = set(values(rows))
    todo = [{KEY: study[col.STUDY_ID], FIELD: field, VALUE: "", SOURCE: "", QUOTE: "", EXTRACTOR: rater, NOTE: "",
             **{name: study.get(name, "") for name in QUEUE_CONTEXT}}
            for study in included.to_dict("records") for field in QUEUE_FIELDS
            if (study[col.STUDY_ID], field) not in filled]
    return pd.DataFrame(todo, columns=[*col.EXTRACTION_COLUMNS, *QUEUE_CONTEXT])
