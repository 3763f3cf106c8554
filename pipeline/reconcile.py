"""Reconcile: the published numbers against the reproduced ones, and the published tables' own arithmetic.

``published`` holds what a human transcribed from the report under ``data/raw/published/`` (one
DataFrame per CSV file stem): ``counts`` (quantities stated in the text), ``levels`` (one row per
reference-list entry), ``reasons`` (human explanations) and one printed table per table id. Every
published value becomes one output row with a status; every row that does not match carries a
reason, taken from ``reasons.csv`` when a human wrote one and derived from the data otherwise.

What (table, row, column) name, per kind of output row, and so what a reasons.csv row must name:

- ``count``: ("counts", quantity, "");
- ``list_vs_table``: ("counts", "level_<id>", "list_<id>"); published is the count the report states,
  reproduced the number of entries in its reference list (both from the report);
- ``study_level``: ("levels", record key, "level"), or the study id for an included study in no list;
- ``table_cell``: (table id, printed row label, column heading).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pandas as pd

from pipeline import markdown
from pipeline.columns import (EVIDENCE_INPUTS, EVIDENCE_LEVEL, EVIDENCE_RULE, NOT_REPORTED, PRISMA_BOX,
                              RECORD_KEYS, SCREEN_DECISION, STUDY_ID, YEAR)
from pipeline.config import Settings, TableSpec
from pipeline.errors import PipelineError
from pipeline.screen import study_index
from pipeline.stage import Kind as Stored
from pipeline.stage import Stage, file, from_config

log = logging.getLogger(__name__)

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")

PUBLISHED_DIR = "data/raw/published"
COUNTS, LEVELS, REASONS = "counts", "levels", "reasons"
PUBLISHED_COLUMNS = {
    COUNTS: ("quantity", "value"),
    LEVELS: ("key", "level"),
    REASONS: ("table", "row", "column", "reason"),
}
TOTAL = "Total"
NOT_REPORTED_LABEL = "Not reported"
FIRST_AUTHOR = "first_author"
OVERRIDE_REASON = "override_reason"
LEVEL_COLUMN = "level"

RECONCILE_COLUMNS = ["kind", "table", "row", "column", "published", "reproduced", "difference", "status", "reason"]
ARITHMETIC_COLUMNS = ["table", "axis", "label", "printed_total", "sum_of_cells", "difference", "empty_cells", "status"]


def _join_reasons(reasons: list[str]) -> str:
    """Several reasons for one cell as one text: sentences follow each other, fragments take '; '."""
    text = reasons[0]
    for reason in reasons[1:]:
        text += (" " if text.endswith((".", "!", "?")) else "; ") + reason
    return text


class Kind(str, Enum):
    COUNT = "count"
    TABLE_CELL = "table_cell"
    STUDY_LEVEL = "study_level"
    LIST_VS_TABLE = "list_vs_table"


class Status(str, Enum):
    MATCH = "match"
    DIFFERS = "differs"
    NOT_PUBLISHED = "not_published"
    NOT_REPRODUCED = "not_reproduced"


class Check(str, Enum):
    OK = "ok"
    MISMATCH = "mismatch"
    EMPTY_CELL = "empty_cell"


# --- small helpers -------------------------------------------------------------------------------


def fold_label(text: object) -> str:
    """A label compared case- and space-insensitively: no whitespace at all, case-folded."""
    return "".join(str(text).split()).casefold()


def as_int(text: object) -> int | None:
    """The whole number a cell holds ("1,234" allowed), else None."""
    value = str(text).strip().replace(",", "")
    return int(value) if _WHOLE_NUMBER.fullmatch(value) else None


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every cell as text and missing cells as ""."""
    return frame.astype(object).where(frame.notna(), "").astype(str)


def _file(stem: str, line: int | None = None) -> str:
    path = f"{PUBLISHED_DIR}/{stem}.csv"
    return f"{path}:{line}" if line else path


@dataclass
class _Line:
    """One comparison before its reason is settled."""

    kind: Kind
    table: str
    row: str
    column: str
    published: str | None  # None: the published material has no such value
    reproduced: str | None  # None: the pipeline produces no such value
    auto_reason: str = ""
    reason_keys: tuple[tuple[str, str, str], ...] = ()
    status: Status = field(init=False)
    difference: str = field(init=False)

    def __post_init__(self) -> None:
        self.status, self.difference = compare(self.published, self.reproduced)


def compare(published: str | None, reproduced: str | None) -> tuple[Status, str]:
    """Status and (reproduced - published) of one published value against its reproduction."""
    if published is None or published.strip() == "":
        return Status.NOT_PUBLISHED, ""
    if reproduced is None:
        return Status.NOT_REPRODUCED, ""
    left, right = as_int(published), as_int(reproduced)
    if left is not None and right is not None:
        return (Status.MATCH if left == right else Status.DIFFERS), str(right - left)
    same = fold_label(published) == fold_label(reproduced)
    return (Status.MATCH if same else Status.DIFFERS), ""


# --- the human-written reasons -----------------------------------------------------------------


class ReasonBook:
    """Reasons from reasons.csv by (table, row, column); an empty row or column matches any."""

    def __init__(self, frame: pd.DataFrame | None):
        self._entries: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
        self._used: set[int] = set()
        if frame is None:
            return
        frame = _text(frame)
        for line, table, row, column, reason in zip(range(2, len(frame) + 2), frame["table"], frame["row"],
                                                    frame["column"], frame["reason"]):
            if not reason.strip():
                raise PipelineError("reason is empty", where=_file(REASONS, line),
                                    fix="write why the published value cannot be reproduced, or delete the row")
            key = (fold_label(table), fold_label(row), fold_label(column))
            self._entries.setdefault(key, []).append((line, reason.strip()))

    def find(self, table: str, row: str, column: str) -> str:
        """The most specific reason for a cell: exact, then any column, then any row, then the table."""
        for key in ((row, column), (row, ""), ("", column), ("", "")):
            found = self._entries.get((fold_label(table), fold_label(key[0]), fold_label(key[1])))
            if found:
                self._used.update(line for line, _ in found)
                return _join_reasons([reason for _, reason in found])
        return ""

    def unused_lines(self) -> list[int]:
        return sorted({line for entries in self._entries.values() for line, _ in entries} - self._used)


# --- what the reproduction knows -------------------------------------------------------------------


@dataclass
class _Context:
    """Facts about the reproduction that automatic reasons quote."""

    settings: Settings
    classified: pd.DataFrame
    level_counts: dict[str, int]
    override_counts: dict[str, int]
    list_counts: dict[str, int] | None
    moved_out: Counter = field(default_factory=Counter)
    moved_in: Counter = field(default_factory=Counter)

    def label(self, level_id: str) -> str:
        return next((lv.label for lv in self.settings.hierarchy.levels if lv.id == level_id), level_id)

    def not_reported(self, column: str) -> tuple[int, int] | None:
        """(studies with ``column`` not_reported, studies); None when the studies have no such column."""
        name = column if column in self.classified.columns else f"{column}s"  # intervention -> interventions
        if name not in self.classified.columns:
            return None
        values = self.classified[name].str.strip()
        missing = values.isin([NOT_REPORTED, "", "[]", f'["{NOT_REPORTED}"]'])
        return int(missing.sum()), len(self.classified)


def _check_published(published: Mapping[str, pd.DataFrame]) -> None:
    for stem, columns in PUBLISHED_COLUMNS.items():
        frame = published.get(stem)
        if frame is None:
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise PipelineError(f"lacks column(s) {', '.join(missing)}", where=_file(stem, 1),
                                fix=f"the header must include: {', '.join(columns)}")


def _check_classified(classified: pd.DataFrame) -> None:
    missing = [c for c in (STUDY_ID, EVIDENCE_LEVEL) if c not in classified.columns]
    if missing:
        raise PipelineError(f"classified studies lack column(s) {', '.join(missing)}",
                            where="classified studies", fix="run the classify stage before reconcile")


def _level_of(text: str, settings: Settings, line: int) -> str:
    for level in settings.hierarchy.levels:
        if fold_label(text) in (fold_label(level.id), fold_label(level.label)):
            return level.id
    known = ", ".join(lv.id for lv in settings.hierarchy.levels)
    raise PipelineError(f"unknown level {text!r}", where=_file(LEVELS, line),
                        fix=f"use a level id from config.yaml hierarchy: {known}")


def _published_levels(levels: pd.DataFrame | None, settings: Settings) -> list[tuple[int, str, str, str]]:
    """(csv line, record key, level id, citation) for every reference-list entry."""
    if levels is None:
        return []
    frame = _text(levels)
    citations = frame["citation"] if "citation" in frame.columns else [""] * len(frame)
    entries = []
    for line, key, level, citation in zip(range(2, len(frame) + 2), frame["key"], frame[LEVEL_COLUMN], citations):
        if not key.strip():
            raise PipelineError("key is empty", where=_file(LEVELS, line),
                                fix="give the record_key of the listed study (see the screen stage's studies.csv)")
        entries.append((line, key.strip(), _level_of(level, settings, line), citation))
    return entries


# --- study levels --------------------------------------------------------------------------------


def _key_index(classified: pd.DataFrame, studies: pd.DataFrame | None) -> dict[str, str] | None:
    """record key, study id or earlier id -> study id (:func:`pipeline.screen.study_index`, the
    first study where a key names several); None when no record keys are known at all."""
    if studies is not None and any(c not in studies.columns for c in (STUDY_ID, RECORD_KEYS)):
        raise PipelineError(f"studies lack the column '{STUDY_ID}' or '{RECORD_KEYS}'", where="studies (screen stage)",
                            fix="pass the screen stage's studies.csv, which lists each study's record keys")
    frame = studies if studies is not None else classified
    if RECORD_KEYS not in frame.columns:
        return None
    index = {key: found[0] for key, found in study_index(_text(frame)).items()}
    index.update({sid: sid for sid in classified[STUDY_ID].astype(str)})
    return index


def _study_name(study: Mapping[str, str]) -> str:
    author, year = study.get(FIRST_AUTHOR, ""), study.get(YEAR, "")
    described = " ".join(part for part in (author, year) if part)
    return f"{study[STUDY_ID]} ({described})" if described else study[STUDY_ID]


def _study_levels(entries: list[tuple[int, str, str, str]], classified: pd.DataFrame,
                  studies: pd.DataFrame | None, context: _Context) -> list[_Line]:
    if not entries:
        return []
    index = _key_index(classified, studies)
    by_id = {row[STUDY_ID]: row for row in _text(classified).to_dict("records")}
    decisions: dict[str, str] = {}
    decision_column = next((c for c in (SCREEN_DECISION, PRISMA_BOX) if studies is not None and c in studies.columns),
                           None)
    if decision_column:
        text = _text(studies[[STUDY_ID, decision_column]])
        decisions = dict(zip(text[STUDY_ID], text[decision_column]))
    lines, listed = [], set()
    for line, key, level, citation in entries:
        keys = ((LEVELS, key, LEVEL_COLUMN),)
        cited = f" ({citation})" if citation else ""
        sid = index.get(key) if index is not None else by_id.get(key, {}).get(STUDY_ID)
        if sid is None:
            why = ("no studies table was given to resolve record keys" if index is None
                   else "no study in the screen stage's studies has this record key")
            lines.append(_Line(Kind.STUDY_LEVEL, LEVELS, key, LEVEL_COLUMN, level, None,
                               f"{_file(LEVELS, line)}{cited}: {why}", keys))
            continue
        listed.add(sid)
        study = by_id.get(sid)
        if study is None:
            decision = f" (screening: {decisions[sid]})" if decisions.get(sid) else ""
            lines.append(_Line(Kind.STUDY_LEVEL, LEVELS, key, LEVEL_COLUMN, level, None,
                               f"the key belongs to study {sid}, which is not among the included studies{decision}",
                               keys))
            continue
        reproduced = study[EVIDENCE_LEVEL] or None
        if reproduced is None:
            trail = study.get("trail", "") or study.get(EVIDENCE_RULE, "")
            why = f"study {_study_name(study)} has no evidence level" + (f": {trail}" if trail else "")
        else:
            why = _level_reason(study, level, context)
            if reproduced != level:
                context.moved_out[level] += 1
                context.moved_in[reproduced] += 1
        lines.append(_Line(Kind.STUDY_LEVEL, LEVELS, key, LEVEL_COLUMN, level, reproduced, why, keys))
    if index is not None:
        for sid, study in by_id.items():
            if sid not in listed:
                lines.append(_Line(Kind.STUDY_LEVEL, LEVELS, sid, LEVEL_COLUMN, None, study[EVIDENCE_LEVEL] or "",
                                   f"included study {_study_name(study)} is in none of the report's reference lists",
                                   ((LEVELS, sid, LEVEL_COLUMN),)))
    return lines


def _level_reason(study: Mapping[str, str], listed_level: str, context: _Context) -> str:
    rule = study.get(EVIDENCE_RULE, "")
    inputs = study.get(EVIDENCE_INPUTS, "")
    text = (f"study {_study_name(study)}: rule '{rule}' gives {context.label(study[EVIDENCE_LEVEL])}"
            + (f" from {inputs}" if inputs else ""))
    if study.get(OVERRIDE_REASON):
        text += f" (override: {study[OVERRIDE_REASON]})"
    return f"{text}; the report lists it under {context.label(listed_level)}"


# --- counts --------------------------------------------------------------------------------------


def prisma_number(counts: Mapping, dotted: str) -> int | None:
    """A PRISMA count by dotted name, from flat ("a.b") or nested ({"a": {"b": ...}}) keys."""
    if dotted in counts:
        value = counts[dotted]
    else:
        value = counts
        for part in dotted.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
    if isinstance(value, Mapping):
        numbers = [v for v in value.values() if isinstance(v, int)]
        return sum(numbers) if numbers else None
    return as_int(value)


def _databases(counts: Mapping) -> Mapping:
    found = counts.get("identification.databases")
    if found is None and isinstance(counts.get("identification"), Mapping):
        found = counts["identification"].get("databases")
    return found if isinstance(found, Mapping) else {}


def _standard_quantities(settings: Settings, lists_known: bool) -> list[str]:
    names = ["records_identified", "studies_included", "sources_searched", "date_from"]
    names += [f"level_{lv.id}" for lv in settings.hierarchy.levels]
    if lists_known:
        names += [f"list_{lv.id}" for lv in settings.hierarchy.levels]
    return names


def _reproduced_count(quantity: str, prisma: Mapping, context: _Context) -> str | None:
    settings = context.settings
    databases = [s for s in settings.sources if not s.other_method]
    if quantity == "records_identified":
        total = prisma_number(prisma, "identification.databases_total")
        if total is None:
            return None
        other = prisma_number(prisma, "identification.other_total")
        if other is None:
            other = prisma_number(prisma, "identification.other") or 0
        return str(total + other)
    if quantity == "studies_included":
        value = prisma_number(prisma, "included.studies")
        return None if value is None else str(value)
    if quantity == "sources_searched":
        return str(len(databases))
    if quantity == "date_from":
        return "" if settings.search.date_from is None else str(settings.search.date_from)
    if quantity.startswith("level_") and quantity[6:] in context.level_counts:
        return str(context.level_counts[quantity[6:]])
    if quantity.startswith("list_") and quantity[5:] in context.level_counts:
        return None if context.list_counts is None else str(context.list_counts.get(quantity[5:], 0))
    return None


def _count_reason(quantity: str, published: str | None, reproduced: str | None, prisma: Mapping,
                  context: _Context) -> str:
    if published is None or not published.strip():
        return f"{_file(COUNTS)} has no value for '{quantity}'"
    if reproduced is None:
        if quantity.startswith("list_"):
            return f"{_file(LEVELS)} is absent, so the reference lists cannot be counted"
        if quantity in ("records_identified", "studies_included"):
            return "the PRISMA counts have no such number; run the prisma stage"
        known = ", ".join(_standard_quantities(context.settings, True)[:4]) + ", level_<level id>, list_<level id>"
        return f"the pipeline computes no quantity '{quantity}'; it reproduces: {known}"
    pub, rep = as_int(published), as_int(reproduced)
    stated = f"the report states {published}"
    if quantity == "records_identified":
        databases = ", ".join(f"{name} {n}" for name, n in sorted(_databases(prisma).items()))
        text = f"the exports hold {reproduced} records" + (f" ({databases})" if databases else "") + f"; {stated}"
        if pub is not None and rep is not None and rep < pub:
            text += ("; the exports reconstruct only records traceable to the report, which does not list "
                     "the records it excluded")
        return text
    if quantity == "studies_included":
        text = f"screening includes {reproduced} studies; {stated}"
        if context.list_counts is not None:
            listed = sum(context.list_counts.values())
            text += f"; its reference lists hold {listed} entries"
        return text
    if quantity == "sources_searched":
        names = ", ".join(s.name for s in context.settings.sources if not s.other_method)
        return f"config.yaml lists {reproduced} databases ({names}); {stated}"
    if quantity == "date_from":
        return f"config.yaml search.date_from is {reproduced or 'unset'}; {stated}"
    if quantity.startswith("level_"):
        return _level_count_reason(quantity[6:], published, reproduced, context)
    level = context.label(quantity[5:])
    return (f"{_file(LEVELS)} has {reproduced} entries at {level}; the printed list has {published}: "
            f"levels.csv misses or repeats entries of that list")


def _studies(n: object) -> str:
    return f"{n} study" if str(n) == "1" else f"{n} studies"


def _level_count_reason(level_id: str, published: str, reproduced: str, context: _Context) -> str:
    label = context.label(level_id)
    parts = [f"classification puts {_studies(reproduced)} at {label}; the report states {published}"]
    overrides = context.override_counts.get(level_id, 0)
    if overrides:
        parts.append(f"{overrides} of them by a human override")
    if context.list_counts is not None:
        parts.append(f"the report's {label} list has {context.list_counts.get(level_id, 0)} entries")
        if context.moved_out[level_id] or context.moved_in[level_id]:
            parts.append(f"the pipeline's rules move {context.moved_out[level_id]} listed studies out of this level "
                         f"and {context.moved_in[level_id]} in")
    return "; ".join(parts)


def _counts(counts: pd.DataFrame | None, prisma: Mapping, context: _Context) -> list[_Line]:
    if counts is None:
        return []
    frame = _text(counts)
    seen: dict[str, int] = {}
    published: dict[str, str] = {}
    for line, quantity, value in zip(range(2, len(frame) + 2), frame["quantity"], frame["value"]):
        name = quantity.strip()
        if not name:
            raise PipelineError("quantity is empty", where=_file(COUNTS, line),
                                fix="name the quantity (records_identified, studies_included, level_<id>, ...)")
        if name in seen:
            raise PipelineError(f"quantity '{name}' is given twice (first on line {seen[name]})",
                                where=_file(COUNTS, line), fix="keep one row per quantity")
        seen[name] = line
        if value.strip() and as_int(value) is None:
            raise PipelineError(f"quantity '{name}' is {value.strip()!r}, not a whole number", where=_file(COUNTS, line),
                                fix="transcribe the number as printed (digits only), or leave the value empty")
        published[name] = value.strip()
    names = list(published) + [q for q in _standard_quantities(context.settings, context.list_counts is not None)
                               if q not in published]
    lines = []
    for name in names:
        pub = published.get(name)
        rep = _reproduced_count(name, prisma, context)
        lines.append(_Line(Kind.COUNT, COUNTS, name, "", pub, rep, _count_reason(name, pub, rep, prisma, context),
                           ((COUNTS, name, ""),)))
    return lines


def _lists_vs_tables(published: Mapping[str, pd.DataFrame], context: _Context) -> list[_Line]:
    """The report against itself: levels as stated (text or first table) vs entries in its reference lists."""
    stated = {}
    counts = published.get(COUNTS)
    if counts is not None:
        frame = _text(counts)
        stated = {q.strip(): v.strip() for q, v in zip(frame["quantity"], frame["value"])}
    first_table = next((published[spec.id] for spec in context.settings.tables if spec.id in published), None)
    total_row = _total_row(first_table) if first_table is not None else {}
    lines = []
    for level in context.settings.hierarchy.levels:
        told = stated.get(f"level_{level.id}") or total_row.get(fold_label(level.label), "")
        listed = stated.get(f"list_{level.id}") or (
            str(context.list_counts.get(level.id, 0)) if context.list_counts is not None else "")
        if not told or not listed:
            continue
        reason = (f"the report states {told} {level.label} studies but its {level.label} reference list "
                  f"has {listed} entries")
        lines.append(_Line(Kind.LIST_VS_TABLE, COUNTS, f"level_{level.id}", f"list_{level.id}", told, listed, reason,
                           ((COUNTS, f"level_{level.id}", f"list_{level.id}"), (COUNTS, f"list_{level.id}", ""))))
    return lines


def _total_row(table: pd.DataFrame) -> dict[str, str]:
    """The printed Total row as {folded heading: cell}; {} when there is none."""
    frame = _text(table)
    if frame.shape[1] == 0:
        return {}
    matches = frame[frame.iloc[:, 0].map(fold_label) == fold_label(TOTAL)]
    if matches.empty:
        return {}
    return {fold_label(column): value for column, value in zip(frame.columns, matches.iloc[0])}


# --- table cells -----------------------------------------------------------------------------------


def _cells(frame: pd.DataFrame, where: str) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """(row labels, value headings, {(folded row, folded heading): cell}) of a table."""
    text = _text(frame)
    if text.shape[1] == 0:
        raise PipelineError("the table has no columns", where=where, fix="give it a header row")
    labels = text.iloc[:, 0].tolist()
    headings = [str(c) for c in text.columns[1:]]
    values = text.iloc[:, 1:].to_numpy()
    cells: dict[tuple[str, str], str] = {}
    first_line: dict[str, int] = {}
    for position, label in enumerate(labels):
        folded = fold_label(label)
        if folded in first_line:
            raise PipelineError(f"row label {label!r} appears twice (first on line {first_line[folded]})",
                                where=f"{where}:{position + 2}" if where.endswith(".csv") else where,
                                fix="give every printed row its own label")
        first_line[folded] = position + 2
        for heading, value in zip(headings, values[position]):
            cells[(folded, fold_label(heading))] = value
    return labels, headings, cells


def _check_counts_are_numbers(stem: str, rows: list[str], heads: list[str], cells: dict[tuple[str, str], str],
                              settings: Settings) -> None:
    """Every cell under a level or Total heading is a whole number or empty.

    The arithmetic check does this for tables with a Total column; a table without one (the
    interventions list) otherwise compared text such as 'one' and called it a difference.
    """
    counted = {fold_label(level.label) for level in settings.hierarchy.levels} | {fold_label(TOTAL)}
    for line, row in enumerate(rows, start=2):
        for head in heads:
            if fold_label(head) in counted:
                _printed_number(cells.get((fold_label(row), fold_label(head)), ""), stem, line, head)


def _table_cells(spec_id: str, spec: TableSpec | None, published: pd.DataFrame | None,
                 reproduced: pd.DataFrame | None, context: _Context) -> list[_Line]:
    if published is None and reproduced is None:
        return []
    if published is None:
        return [_Line(Kind.TABLE_CELL, spec_id, "", "", None, "",
                      f"no published table: {_file(spec_id)} is absent", ((spec_id, "", ""),))]
    pub_rows, pub_heads, pub_cells = _cells(published, _file(spec_id))
    _check_counts_are_numbers(spec_id, pub_rows, pub_heads, pub_cells, context.settings)
    if reproduced is None:
        rep_rows, rep_heads, rep_cells = [], [], {}
        missing = f"the tables stage produced no table '{spec_id}': it is not configured under tables in config.yaml"
    else:
        rep_rows, rep_heads, rep_cells = _cells(reproduced, f"reproduced table {spec_id}")
        missing = ""
        printed = {fold_label(h) for h in pub_heads}
        rep_heads = [h for h in rep_heads if fold_label(h) in printed or not h.rstrip().endswith("%")]
    rows = _union(pub_rows, rep_rows)
    heads = _union(rep_heads, pub_heads)
    facts = _TableFacts.of(spec, pub_cells, rep_cells, context)
    lines = []
    for row in rows:
        for head in heads:
            key = (fold_label(row), fold_label(head))
            pub = pub_cells.get(key)
            rep = rep_cells.get(key)
            line = _Line(Kind.TABLE_CELL, spec_id, row, head, pub, rep, "", ((spec_id, row, head),))
            line.auto_reason = missing or facts.reason(line, pub_rows, rep_rows)
            lines.append(line)
    return lines


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Labels of ``first`` then those of ``second`` not already present (compared folded)."""
    seen, merged = set(), []
    for label in [*first, *second]:
        if fold_label(label) not in seen:
            seen.add(fold_label(label))
            merged.append(label)
    return merged


@dataclass
class _TableFacts:
    """What an automatic reason says about one table."""

    field: str
    published_total: int | None
    reproduced_total: int | None
    published_level_totals: dict[str, int | None]
    reproduced_level_totals: dict[str, int | None]
    missing: tuple[int, int] | None  # (studies with the field not_reported, studies)
    context: _Context
    prints_totals: bool = True  # False: transcribed from the text, no Total row or column; empty = not stated

    @classmethod
    def of(cls, spec: TableSpec | None, pub_cells: dict, rep_cells: dict, context: _Context) -> _TableFacts:
        total = fold_label(TOTAL)
        heads = {fold_label(lv.label): lv.label for lv in context.settings.hierarchy.levels}
        return cls(
            field=spec.field if spec is not None else "",
            published_total=as_int(pub_cells.get((total, total), "")),
            reproduced_total=as_int(rep_cells.get((total, total), "")),
            published_level_totals={h: as_int(pub_cells.get((total, h), "")) for h in heads},
            reproduced_level_totals={h: as_int(rep_cells.get((total, h), "")) for h in heads},
            missing=context.not_reported(spec.field) if spec is not None else None,
            context=context,
            prints_totals=not pub_cells or any(total in key for key in pub_cells),
        )

    def reason(self, line: _Line, pub_rows: list, rep_rows: list) -> str:
        row, head = fold_label(line.row), fold_label(line.column)
        if line.status is Status.NOT_PUBLISHED:
            if line.published is not None:
                if not self.prints_totals:
                    return "the report's text states no value for this cell"
                zero = " (read as 0 it agrees)" if as_int(line.reproduced or "") == 0 else ""
                return f"the printed cell is empty{zero}"
            if row not in map(fold_label, pub_rows):
                return self._unprinted_row(line.row)
            return f"the report prints no column '{line.column}'"
        if line.status is Status.NOT_REPRODUCED:
            if row not in map(fold_label, rep_rows):
                name = self.field or "this characteristic"
                return f"no included study has {name} '{line.row}' in the extraction"
            return f"the reproduced table has no column '{line.column}' (level labels come from config.yaml hierarchy)"
        return self._differing(head)

    def _unprinted_row(self, label: str) -> str:
        if fold_label(label) == fold_label(NOT_REPORTED_LABEL) and self.missing is not None:
            return (f"{self.missing[0]} of {self.missing[1]} studies have {self.field} not_reported in the "
                    f"extraction; the report prints no such row")
        return f"the report prints no row '{label}'"

    def _differing(self, head: str) -> str:
        parts = []
        # a table transcribed from the report's text may print no totals: then there is nothing to set against
        if self.published_total is not None and self.published_total != self.reproduced_total:
            parts.append(f"the reproduced table counts {_studies(self.reproduced_total)}, "
                         f"the report {self.published_total}")
        if head in self.published_level_totals:
            pub, rep = self.published_level_totals[head], self.reproduced_level_totals[head]
            if pub is not None and pub != rep:
                label = next(lv.label for lv in self.context.settings.hierarchy.levels if fold_label(lv.label) == head)
                parts.append(f"{_studies(rep)} at {label} against the report's {pub}")
        if self.field:
            if self.missing is not None and self.missing[0]:
                parts.append(f"{self.missing[0]} of {self.missing[1]} studies have {self.field} not_reported")
            parts.append("the published table gives counts, not the studies behind them, so the cell cannot be "
                         "traced to studies")
        return "reproduced from the extraction: " + "; ".join(parts)


# --- the stage function ----------------------------------------------------------------------------


def reconcile(published: Mapping[str, pd.DataFrame], reproduced_tables: Mapping[str, pd.DataFrame],
              prisma_counts: Mapping, classified: pd.DataFrame, settings: Settings, *,
              studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every published value against its reproduction, with a status and, unless it matches, a reason.

    ``studies`` (study_id, record_keys) resolves the record keys of levels.csv to studies; without it
    only keys that are study ids (or appear in a ``record_keys`` column of ``classified``) resolve.
    """
    _check_published(published)
    _check_classified(classified)
    book = ReasonBook(published.get(REASONS))
    entries = _published_levels(published.get(LEVELS), settings)
    text = _text(classified)
    levels = text[EVIDENCE_LEVEL]
    overridden = (text[EVIDENCE_RULE] == "override" if EVIDENCE_RULE in text.columns
                  else pd.Series(False, index=text.index))
    context = _Context(
        settings=settings,
        classified=text,
        level_counts={lv.id: int((levels == lv.id).sum()) for lv in settings.hierarchy.levels},
        override_counts={lv.id: int(((levels == lv.id) & overridden).sum()) for lv in settings.hierarchy.levels},
        list_counts=dict(Counter(level for _, _, level, _ in entries)) if LEVELS in published else None,
    )
    lines = _study_levels(entries, classified, studies, context)
    lines += _counts(published.get(COUNTS), prisma_counts, context)
    lines += _lists_vs_tables(published, context)
    specs = {spec.id: spec for spec in settings.tables}
    extra = sorted(set(published) - set(PUBLISHED_COLUMNS) - set(specs))
    for table_id in [*specs, *extra]:
        lines += _table_cells(table_id, specs.get(table_id), published.get(table_id),
                              reproduced_tables.get(table_id), context)
    frame = pd.DataFrame([_row(line, book) for line in lines], columns=RECONCILE_COLUMNS, dtype=str)
    for line in book.unused_lines():
        log.warning("%s: the reason on this line explains no differing value; check its table, row and column",
                    _file(REASONS, line))
    return frame.sort_values(["kind", "table", "row", "column"], kind="stable").reset_index(drop=True)


def _row(line: _Line, book: ReasonBook) -> dict[str, str]:
    reason = ""
    if line.status is not Status.MATCH:
        found = [book.find(*key) for key in line.reason_keys]
        reason = _join_reasons(list(dict.fromkeys(text for text in found if text))) if any(found) else ""
        reason = reason or line.auto_reason or "no explanation could be derived"
    return {
        "kind": line.kind.value, "table": line.table, "row": line.row, "column": line.column,
        "published": line.published or "", "reproduced": line.reproduced or "",
        "difference": line.difference, "status": line.status.value, "reason": reason,
    }


# --- the published tables' own arithmetic ---------------------------------------------------------


def arithmetic(published: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each printed table's row and column totals against the sums of their cells.

    Every printed row (Total row included) and every value column (Total column included) gives one
    line; an empty printed cell counts as 0 and is named in ``empty_cells``. A table with neither a
    Total column nor a Total row (one transcribed from the report's text rather than printed as a
    table) has no totals to check and gives no line.
    """
    lines = []
    for stem in sorted(set(published) - set(PUBLISHED_COLUMNS)):
        lines += _table_arithmetic(stem, published[stem])
    return pd.DataFrame(lines, columns=ARITHMETIC_COLUMNS, dtype=str)


def _table_arithmetic(stem: str, table: pd.DataFrame) -> list[dict[str, str]]:
    frame = _text(table)
    headings = [str(c) for c in frame.columns]
    total_columns = [h for h in headings[1:] if fold_label(h) == fold_label(TOTAL)]
    first_column = frame.iloc[:, 0].tolist() if frame.shape[1] else []
    if not total_columns and not any(fold_label(label) == fold_label(TOTAL) for label in first_column):
        return []
    if len(total_columns) != 1:
        raise PipelineError(f"the header has {len(total_columns)} '{TOTAL}' columns, expected one",
                            where=_file(stem, 1), fix="end the header with the printed Total heading, once")
    total_column = total_columns[0]
    level_columns = [h for h in headings[1:] if h != total_column]
    labels = frame.iloc[:, 0].tolist()
    total_rows = [i for i, label in enumerate(labels) if fold_label(label) == fold_label(TOTAL)]
    if len(total_rows) != 1:
        raise PipelineError(f"the table has {len(total_rows)} '{TOTAL}' rows, expected one",
                            where=_file(stem), fix="keep the printed Total row, once, as the last row")
    values = {heading: [_printed_number(v, stem, i + 2, heading) for i, v in enumerate(frame[heading])]
              for heading in headings[1:]}
    body = [i for i in range(len(labels)) if i != total_rows[0]]
    lines = []
    for i, label in enumerate(labels):
        cells = {h: values[h][i] for h in level_columns}
        lines.append(_check(stem, "row", label, values[total_column][i], cells, total_column))
    for heading in [*level_columns, total_column]:
        cells = {labels[i]: values[heading][i] for i in body}
        lines.append(_check(stem, "column", heading, values[heading][total_rows[0]], cells, TOTAL))
    return lines


def _printed_number(value: str, stem: str, line: int, heading: str) -> int | None:
    if not value.strip():
        return None
    number = as_int(value)
    if number is None:
        raise PipelineError(f"cell '{heading}' is {value!r}, not a whole number", where=_file(stem, line),
                            fix="transcribe the number as printed, or leave the cell empty if it is empty in print")
    return number


def _check(stem: str, axis: str, label: str, printed: int | None, cells: Mapping[str, int | None],
           total_name: str) -> dict[str, str]:
    empty = [name for name, value in cells.items() if value is None]
    if printed is None:
        empty.append(total_name)
    added = sum(value for value in cells.values() if value is not None)
    difference = "" if printed is None else str(added - printed)
    if difference not in ("", "0"):
        status = Check.MISMATCH
    elif empty:
        status = Check.EMPTY_CELL
    else:
        status = Check.OK
    return {
        "table": stem, "axis": axis, "label": label, "printed_total": "" if printed is None else str(printed),
        "sum_of_cells": str(added), "difference": difference, "empty_cells": "; ".join(empty),
        "status": status.value,
    }


# --- reading it --------------------------------------------------------------------------------------


def _markdown_table(frame: pd.DataFrame, columns: list[str], reasons: list[str] | None = None) -> list[str]:
    """``reasons``, when given, fill the reason column (they may hold the notes' Markdown references)."""
    rows = [list(values) for values in frame[columns].itertuples(index=False)]
    if reasons is not None:
        at = columns.index("reason")
        for row, reason in zip(rows, reasons, strict=True):
            row[at] = reason
    return markdown.table([c.replace("_", " ") for c in columns], rows)


def _status_counts(reconciled: pd.DataFrame) -> dict[str, int]:
    tally = reconciled["status"].value_counts()
    return {status.value: int(tally.get(status.value, 0)) for status in Status}


def _footnoted(reasons: list[str]) -> tuple[list[str], list[str]]:
    """Reasons given more than once become numbered notes under the table; the others stay inline."""
    repeated = [reason for reason, n in Counter(reasons).items() if n > 1]
    numbers = {reason: position for position, reason in enumerate(repeated, start=1)}
    return [markdown.Markup(f"see [{numbers[r]}]") if r in numbers else r for r in reasons], repeated


def to_markdown(reconciled: pd.DataFrame, arithmetic: pd.DataFrame) -> str:
    """A readable report: the summary, every value that does not match (by kind), the arithmetic slips."""
    counts = _status_counts(reconciled)
    lines = ["# Published against reproduced", "",
             f"{len(reconciled)} values compared: {counts['match']} match, {counts['differs']} differ, "
             f"{counts['not_published']} not published, {counts['not_reproduced']} not reproduced.", ""]
    open_rows = reconciled[reconciled["status"] != Status.MATCH.value]
    if open_rows.empty:
        lines += ["Every published value is reproduced exactly.", ""]
    unpublished = open_rows[(open_rows["status"] == Status.NOT_PUBLISHED.value)
                            & (open_rows["kind"] == Kind.TABLE_CELL.value)]
    open_rows = open_rows.drop(unpublished.index)
    for kind in sorted(open_rows["kind"].unique()):
        group = open_rows[open_rows["kind"] == kind]
        shown, notes = _footnoted(group["reason"].tolist())
        lines += [f"## {markdown.inline(kind.replace('_', ' '))} ({len(group)})", ""]
        lines += _markdown_table(group, ["table", "row", "column", "published", "reproduced", "difference", "status",
                                         "reason"], shown)
        lines.append("")
        lines += [f"- [{number}] {markdown.inline(note)}" for number, note in enumerate(notes, start=1)]
        lines += [""] if notes else []
    if not unpublished.empty:
        lines += _unpublished_cells(unpublished)
    tally = arithmetic["status"].value_counts()
    lines += ["## Arithmetic of the published tables", "",
              f"{len(arithmetic)} totals checked: {int(tally.get(Check.OK.value, 0))} ok, "
              f"{int(tally.get(Check.MISMATCH.value, 0))} mismatch, "
              f"{int(tally.get(Check.EMPTY_CELL.value, 0))} with empty cells.", ""]
    slips = arithmetic[arithmetic["status"] != Check.OK.value]
    if arithmetic.empty:
        lines += ["No published table to check.", ""]
    elif slips.empty:
        lines += ["Every printed total equals the sum of its cells.", ""]
    else:
        lines += _markdown_table(slips, ARITHMETIC_COLUMNS)
        lines.append("")
    return "\n".join(lines)


def _unpublished_cells(rows: pd.DataFrame) -> list[str]:
    """Reproduced table cells the report gives no value for: counted per table and reason, not listed
    one by one (reconcile.csv lists each)."""
    grouped = rows.groupby(["table", "reason"], sort=True).size().reset_index(name="cells")
    lines = [f"## table cells not published ({len(rows)})", "",
             "Cells the pipeline reproduces but the report prints no value for; reconcile.csv lists each one.", ""]
    shown, notes = _footnoted(grouped["reason"].tolist())
    lines += _markdown_table(grouped.assign(cells=grouped["cells"].astype(str)), ["table", "cells", "reason"], shown)
    lines.append("")
    lines += [f"- [{number}] {markdown.inline(note)}" for number, note in enumerate(notes, start=1)]
    lines += [""] if notes else []
    return lines


def summary(reconciled: pd.DataFrame, arithmetic: pd.DataFrame) -> str:
    """One line for the log."""
    counts = _status_counts(reconciled)
    tally = arithmetic["status"].value_counts()
    return (f"reconcile: {len(reconciled)} compared; {counts['match']} match, {counts['differs']} differ, "
            f"{counts['not_published']} not published, {counts['not_reproduced']} not reproduced; "
            f"arithmetic: {len(arithmetic)} totals checked, {int(tally.get(Check.MISMATCH.value, 0))} mismatch, "
            f"{int(tally.get(Check.EMPTY_CELL.value, 0))} with empty cells")


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    tables: Mapping[str, pd.DataFrame] = file(Stored("tables", "the tables stage's tables (file stems are table ids)"))
    counts: dict = file(Stored("json", "the prisma stage's counts"))
    classified: pd.DataFrame = file(Stored("table", "the classified studies"))
    studies: pd.DataFrame = file(Stored("table", "the screened studies"))
    published: Mapping[str, pd.DataFrame] = file(Stored("tables", "the published numbers (data/raw/published/*.csv)",
                                                      optional=True))


@dataclass(frozen=True)
class Outputs:
    reconciled: pd.DataFrame = file(Stored("table", "published against reproduced, with reasons"))
    arithmetic: pd.DataFrame = file(Stored("table", "the published tables' own arithmetic"))
    markdown: str = file(Stored("text", "both in Markdown"))


def run(inputs: Inputs, settings: Settings) -> Outputs:
    published = {Path(path).stem: table for path, table in sorted(inputs.published.items())}
    reproduced = {Path(path).stem: table for path, table in inputs.tables.items()}
    reconciled = reconcile(published, reproduced, inputs.counts, inputs.classified, settings, studies=inputs.studies)
    checked = arithmetic(published)
    log.info(summary(reconciled, checked))
    return Outputs(reconciled, checked, to_markdown(reconciled, checked))


STAGE = Stage("reconcile", "published numbers against reproduced ones", Inputs, Outputs, run, from_config())
