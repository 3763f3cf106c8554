"""The ``deduplicate`` stage: one study per group of records that report the same study.

prep -> block -> match -> cluster -> merge, each in :mod:`pipeline.dedup`:

- prep: normalised title (and a bracketed original-language title), first author, year, journal,
  volume, issue, supplement, first and last page, DOI (and its stem), Cochrane review number,
  entry kind, meeting-abstract signs, and notice kind / protocol / part number from the title,
  per record, sorted by ``record_id``;
- block: candidate pairs sharing a DOI, record_key, the first or last title words (of either
  title), first author + year, or volume + first page + year (large blocks by sorted
  neighbourhood), plus the pairs named in human decisions;
- match: named rules decide every pair (``pipeline.dedup.match.RULES``, first that fires wins):
  human decisions, vetoes, duplicate rules, ``maybe`` rules, ``not_similar``;
- cluster: union-find over duplicate pairs; a veto between two records also stops them being
  joined through a third record (refused joins become ``maybe`` / ``transitive_veto``);
- merge: the most complete record of each cluster is kept; study ids; one row per study.

Human decisions name record keys. ``same`` makes every record carrying one key a duplicate of
every record carrying the other (rule ``human_same``), whatever the automatic rules say.
``different`` makes those pairs distinct (``human_different``), and no join may then put a
record of one key in a cluster with a record of the other, directly or through third records:
the join that would do so is refused and its pair reported as ``maybe`` / ``transitive_veto``.
Automatic vetoes hold transitively against automatic joins in the same way, but a reviewer's
``same`` overrides them.

:func:`standalone` gives the same result as one row per input record (record_id as in its own
export, study_id, decision kept | duplicate | maybe, rule) for ``python -m pipeline deduplicate-files``.

A study_id is ``<family><year>-<sha1(canonical key)[:6]>``, the canonical key being the
cluster's smallest record_key (doi: before pmid: before ref:), so it does not depend on row
order and survives reruns that add records to the cluster without bringing a smaller key.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import columns as col
from pipeline.config import DedupSettings
from pipeline.dedup import prep as p
from pipeline.dedup.block import POS_A, POS_B, candidate_pairs
from pipeline.dedup.cluster import cluster
from pipeline.dedup.match import (DIFFERENT, KEY_A, KEY_B, OUTCOME, RANK, RULE, SAME, TITLE_SCORE, decision_pairs,
                                  match)
from pipeline.dedup.merge import (STUDY_COLUMNS, completeness, filled_fields, join_trail, kept_positions, study_ids,
                                  studies)
from pipeline.errors import CheckError, DecisionError, PipelineError
from pipeline.io import dumps, file_lines, file_name
from pipeline.keys import find_doi, record_key
from pipeline.progress import Progress
from pipeline.stage import Kind, Stage, file, from_config

log = logging.getLogger(__name__)

RECORD_ID_A, RECORD_ID_B = "record_id_a", "record_id_b"
PAIR_COLUMNS = [RECORD_ID_A, RECORD_ID_B, KEY_A, KEY_B, TITLE_SCORE, OUTCOME, RULE]
DECISION_KEY_A, DECISION_KEY_B, DECISION, REVIEWER, NOTE = col.DUPLICATE_DECISION_COLUMNS
DECISION_VALUES = (SAME, DIFFERENT)
TRUE, FALSE = "true", "false"
# the record columns deduplication reads (the rest, e.g. the raw vendor fields, are passed through)
USED_COLUMNS = [col.RECORD_ID, col.RECORD_KEY, col.ENTRY_TYPE, col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL,
                col.VOLUME, col.ISSUE, col.PAGES, col.PAGE_START, col.PAGE_END, col.DOI, col.PMID, col.ABSTRACT,
                col.PUBLICATION_TYPES]

STANDALONE_COLUMNS = [col.RECORD_ID, col.STUDY_ID, "decision", "rule"]
KEPT, DUPLICATE, MAYBE = "kept", "duplicate", "maybe"

__all__ = ["PAIR_COLUMNS", "STANDALONE_COLUMNS", "STUDY_COLUMNS", "deduplicate", "is_benchmark_table",
           "records_from_benchmark", "standalone", "summary", "validate_duplicate_decisions"]


def _check_records(records: pd.DataFrame) -> None:
    missing = [name for name in col.RECORD_COLUMNS if name not in records.columns]
    if missing:
        raise CheckError(f"records lack column(s) {', '.join(missing)}", where="deduplicate input",
                         fix="pass the records table written by the ingest stage")
    counts = records[col.RECORD_ID].value_counts()
    repeated = counts[counts > 1]
    if len(repeated):
        first = sorted(repeated.index)[0]
        raise CheckError(f"record_id appears on {repeated[first]} rows ({len(repeated)} ids repeat)",
                         where=f"record {first}", fix="every record needs its own record_id; rerun ingest")
    empty = records[col.RECORD_ID].fillna("").astype(str).str.strip() == ""
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise CheckError("record has an empty record_id", where=f"records row {row + 2}",
                         fix="every record needs a record_id; rerun ingest")


def validate_duplicate_decisions(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Check a duplicate-decisions table; return it with cells stripped and decisions lower-cased.

    Raises DecisionError (``file:line``, the header being line 1) for missing or unknown
    columns, a decision other than same/different, an empty key, a row pairing a key with
    itself, or a row that contradicts an earlier one.
    """
    expected = col.DUPLICATE_DECISION_COLUMNS
    missing = [name for name in expected if name not in frame.columns]
    unknown = [str(name) for name in frame.columns if name not in expected]
    if missing or unknown:
        problems = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        raise DecisionError("; ".join(problems), where=f"{file}:1",
                            fix=f"the header must be exactly: {','.join(expected)}")
    clean = frame[expected].fillna("").astype(str).apply(lambda values: values.str.strip())
    clean[DECISION] = clean[DECISION].str.lower()
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for line, key_a, key_b, decision in zip(file_lines(frame), clean[DECISION_KEY_A], clean[DECISION_KEY_B],
                                            clean[DECISION]):
        where = f"{file}:{line}"
        if decision not in DECISION_VALUES:
            raise DecisionError(f"decision {decision!r} is not allowed", where=where,
                                fix="write 'same' (one study) or 'different' (two studies)")
        for name, key in ((DECISION_KEY_A, key_a), (DECISION_KEY_B, key_b)):
            if not key:
                raise DecisionError(f"{name} is empty", where=where,
                                    fix="copy the record_key of both records from the deduplicate pairs table")
        if key_a == key_b:
            raise DecisionError(f"record_key_a and record_key_b are the same key {key_a!r}", where=where,
                                fix="a decision pairs two different record keys; correct or delete the row")
        pair = (min(key_a, key_b), max(key_a, key_b))
        earlier = seen.get(pair)
        if earlier and earlier[0] != decision:
            raise DecisionError(f"decision {decision!r} contradicts {earlier[0]!r} for the same keys on line "
                                f"{earlier[1]}", where=where, fix="keep one of the two rows")
        seen.setdefault(pair, (decision, line))
    return clean.reset_index(drop=True)


def _log_unmatched(decisions: pd.DataFrame, keys: set[str]) -> None:
    for key_a, key_b in zip(decisions[DECISION_KEY_A], decisions[DECISION_KEY_B]):
        absent = [key for key in (key_a, key_b) if key not in keys]
        if absent:
            log.warning("duplicate decision %s / %s matches no record for %s; it has no effect until a record "
                        "with that key is ingested", key_a, key_b, ", ".join(absent))


def deduplicate(records: pd.DataFrame, settings: DedupSettings,
                decisions: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Group records into studies; return (records + DEDUP_COLUMNS, pairs, studies).

    ``pairs`` has one row per candidate pair (PAIR_COLUMNS, sorted by record ids) with the rule
    that decided it; ``studies`` one row per cluster (STUDY_COLUMNS, sorted by study_id).
    """
    with Progress("deduplicate", log) as progress:
        progress.start("checking records", 0)
        _check_records(records)
        work = records[USED_COLUMNS].fillna("").astype(str)
        if decisions is not None:
            decisions = validate_duplicate_decisions(decisions, file_name(decisions, "duplicate decisions"))
            _log_unmatched(decisions, set(work[col.RECORD_KEY]))
        frame = _prep(work, progress)
        progress.start("blocking", 0, "records")
        candidates = candidate_pairs(frame, decision_pairs(frame, decisions))
        decided = _match(frame, candidates, settings, decisions, progress)
        progress.start("clustering", 0, "records")
        clusters, decided = cluster(len(frame), decided)
        progress.start("merging", 0, "records")
        ordered = work.iloc[frame[p.INPUT_ROW].to_numpy()].reset_index(drop=True)
        filled_by_field = filled_fields(ordered)
        # an article stands for its study before any notice about it joined to it (linked_erratum)
        article = (frame[p.NOTICE].to_numpy() == "").astype(np.int64)
        kept = kept_positions(clusters.label, completeness(filled_by_field) + article * (len(filled_by_field) + 1))
        rules, parents = join_trail(kept, clusters.joins)
        study = study_ids(ordered, clusters.label, frame[p.FAMILY].to_numpy(), frame[p.YEAR].to_numpy())
        record_ids = frame[p.RECORD_ID].to_numpy()
        positions = np.arange(len(frame))
        by_input_row = np.empty(len(frame), dtype=np.int64)
        by_input_row[frame[p.INPUT_ROW].to_numpy()] = positions
        dedup = pd.DataFrame({
            col.STUDY_ID: study,
            col.IS_DUPLICATE: np.where(kept != positions, TRUE, FALSE),
            col.DEDUP_RULE: rules,
            col.DEDUP_WITH: np.where(parents >= 0, record_ids[np.maximum(parents, 0)], ""),
        }).iloc[by_input_row]
        records_out = records.drop(columns=[c for c in col.DEDUP_COLUMNS if c in records.columns]).copy()
        for name in col.DEDUP_COLUMNS:
            records_out[name] = dedup[name].to_numpy(dtype=object)
        # positions follow record_id (prep sorts by it and ids are unique), so sorting the pairs by
        # positions sorts them by record ids without comparing strings
        by_ids = np.lexsort((decided[POS_B].to_numpy(), decided[POS_A].to_numpy()))
        decided = decided.iloc[by_ids]
        pairs = pd.DataFrame({
            RECORD_ID_A: record_ids[decided[POS_A].to_numpy()],
            RECORD_ID_B: record_ids[decided[POS_B].to_numpy()],
            KEY_A: decided[KEY_A].to_numpy(),
            KEY_B: decided[KEY_B].to_numpy(),
            TITLE_SCORE: _one_decimal(decided[TITLE_SCORE].to_numpy(dtype=float)),
            OUTCOME: decided[OUTCOME].to_numpy(),
            RULE: decided[RULE].to_numpy(),
        }, columns=PAIR_COLUMNS)
        return records_out, pairs, studies(ordered, clusters.label, study, kept, filled_by_field)


def _one_decimal(scores: np.ndarray) -> np.ndarray:
    """Scores as text with one decimal, each distinct rounded score formatted once."""
    distinct, inverse = np.unique(np.round(scores, 1), return_inverse=True)
    return np.array([f"{score:.1f}" for score in distinct], dtype=object)[inverse.reshape(-1)]


PREP_CHUNK = 50_000  # at most this many records prepared at a time (progress; the per-step arrays stay small)
MATCH_CHUNK = 200_000  # at most this many candidate pairs compared at a time
WORKERS = 2  # processes that prepare and compare chunks at once (forked, where the platform can fork)
# what clustering and the pairs table need of a decided pair; the other features are dropped chunk by chunk
DECIDED_COLUMNS = [POS_A, POS_B, KEY_A, KEY_B, TITLE_SCORE, RANK, RULE, OUTCOME]

_CHUNK_INPUT: tuple = ()  # in a worker process only: what its chunks are cut from (see _in_workers)


def _take(inputs: tuple) -> None:
    global _CHUNK_INPUT
    _CHUNK_INPUT = inputs


def _prep_chunk(bounds: tuple[int, int]) -> pd.DataFrame:
    work = _CHUNK_INPUT[0]
    part = p.prep(work.iloc[bounds[0]:bounds[1]])
    part[p.INPUT_ROW] += bounds[0]
    return part


def _match_chunk(bounds: tuple[int, int]) -> pd.DataFrame:
    frame, candidates, settings, decisions = _CHUNK_INPUT
    return match(frame, candidates.iloc[bounds[0]:bounds[1]], settings, decisions)[DECIDED_COLUMNS]


def _in_workers(function: Callable[[tuple[int, int]], pd.DataFrame], inputs: tuple, size: int, most: int,
                progress: Progress) -> pd.DataFrame:
    """``function`` over chunks of ``size`` rows of ``inputs[0]`` (at most ``most`` each, and at least
    one per worker), run by WORKERS forked processes, which inherit ``inputs`` without copying; the
    chunks' tables are joined in chunk order, so the result does not depend on the workers."""
    step = max(1, min(most, -(-size // WORKERS)))
    chunks = [(start, min(start + step, size)) for start in range(0, max(size, 1), step)]
    parts = []
    if WORKERS > 1 and len(chunks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(WORKERS, initializer=_take, initargs=(inputs,)) as pool:
            for part in pool.imap(function, chunks):
                parts.append(part)
                progress.advance(len(part))
    else:
        _take(inputs)
        try:
            for chunk in chunks:
                parts.append(function(chunk))
                progress.advance(len(parts[-1]))
        finally:
            _take(())
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _prep(work: pd.DataFrame, progress: Progress) -> pd.DataFrame:
    """:func:`pipeline.dedup.prep.prep` in chunks of records, the same frame."""
    progress.start("prep", len(work), "records")
    frame = _in_workers(_prep_chunk, (work,), len(work), PREP_CHUNK, progress)
    return frame.sort_values(p.RECORD_ID, kind="stable").reset_index(drop=True)


def _match(frame: pd.DataFrame, candidates: pd.DataFrame, settings: DedupSettings, decisions: pd.DataFrame | None,
           progress: Progress) -> pd.DataFrame:
    """:func:`pipeline.dedup.match.match` in chunks of pairs, DECIDED_COLUMNS of its table."""
    progress.start("pair comparison", len(candidates), "pairs")
    return _in_workers(_match_chunk, (frame, candidates, settings, decisions), len(candidates), MATCH_CHUNK, progress)


def native_ids(records: pd.DataFrame) -> np.ndarray:
    """Each record's id in its own export: ``record_id`` without its ``<source>:`` prefix."""
    record_ids = records[col.RECORD_ID].fillna("").astype(str).to_numpy(dtype=object)
    prefixes = (records[col.SOURCE].fillna("").astype(str) + ":").to_numpy(dtype=object)
    return np.array([record_id[len(prefix):] if prefix != ":" and record_id.startswith(prefix) else record_id
                     for record_id, prefix in zip(record_ids, prefixes)], dtype=object)


def standalone(records: pd.DataFrame, settings: DedupSettings,
               decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`deduplicate` as one row per input record, in input order (STANDALONE_COLUMNS).

    ``record_id`` is the record's id in its own export (see :func:`native_ids`); ``decision`` is
    ``duplicate`` for a record removed as a copy of its study's kept record, ``maybe`` for any
    other record in an unsettled maybe pair (its partner in another study), else ``kept``;
    ``rule`` is the rule that joined a duplicate, or the first (by partner record_id) maybe rule.
    """
    records_out, pairs, _ = deduplicate(records, settings, decisions)
    study = dict(zip(records_out[col.RECORD_ID], records_out[col.STUDY_ID]))
    maybes = pairs[pairs[OUTCOME] == col.PairOutcome.MAYBE.value]
    across = np.array([study[first] != study[second] for first, second in
                       zip(maybes[RECORD_ID_A], maybes[RECORD_ID_B])], dtype=bool)
    maybes = maybes[across] if len(maybes) else maybes
    both_ways = pd.concat([
        pd.DataFrame({"record": maybes[RECORD_ID_A], "partner": maybes[RECORD_ID_B], RULE: maybes[RULE]}),
        pd.DataFrame({"record": maybes[RECORD_ID_B], "partner": maybes[RECORD_ID_A], RULE: maybes[RULE]}),
    ]).sort_values(["record", "partner"], kind="stable").drop_duplicates("record")
    maybe_rule = dict(zip(both_ways["record"], both_ways[RULE]))
    removed = (records_out[col.IS_DUPLICATE] == TRUE).to_numpy()
    in_maybe = records_out[col.RECORD_ID].map(lambda record_id: record_id in maybe_rule).to_numpy(dtype=bool)
    decision = np.where(removed, DUPLICATE, np.where(in_maybe, MAYBE, KEPT))
    maybe_rules = records_out[col.RECORD_ID].map(lambda record_id: maybe_rule.get(record_id, ""))
    rule = np.where(removed, records_out[col.DEDUP_RULE].to_numpy(dtype=object), maybe_rules.to_numpy(dtype=object))
    return pd.DataFrame({
        col.RECORD_ID: native_ids(records_out),
        col.STUDY_ID: records_out[col.STUDY_ID].to_numpy(dtype=object),
        "decision": decision.astype(object),
        "rule": rule.astype(object),
    }, columns=STANDALONE_COLUMNS).reset_index(drop=True)


def summary(records_out: pd.DataFrame, pairs: pd.DataFrame) -> str:
    """One line: records -> studies; duplicates by rule; maybe pairs for review."""
    duplicates = records_out[records_out[col.IS_DUPLICATE] == TRUE]
    by_rule = duplicates[col.DEDUP_RULE].value_counts().sort_index()
    rule_text = f" ({', '.join(f'{rule}={count}' for rule, count in by_rule.items())})" if len(by_rule) else ""
    maybes = int((pairs[OUTCOME] == col.PairOutcome.MAYBE.value).sum())
    noun = "pair" if maybes == 1 else "pairs"
    return (f"deduplicate: {len(records_out)} records -> {records_out[col.STUDY_ID].nunique()} studies; "
            f"{len(duplicates)} duplicates{rule_text}; {maybes} maybe {noun} for review")


# --- bib-dedupe benchmark sets --------------------------------------------------------------

BENCHMARK_COLUMNS = {"ID", "title", "author", "year"}
BENCHMARK_READ = ("ID", "ENTRYTYPE", "author", "year", "title", "journal", "booktitle", "volume", "number", "issue",
                  "pages", "doi", "abstract")  # the columns records_from_benchmark reads
BENCHMARK_ENTRY_TYPES = {"article": "journal_article", "inproceedings": "conference", "book": "book",
                         "incollection": "chapter", "inbook": "chapter", "phdthesis": "thesis",
                         "mastersthesis": "thesis", "techreport": "report"}
_PAGE_RANGE = re.compile(r"^\s*([A-Za-z]*)(\d+)\s*[-\u2013]+\s*([A-Za-z]*)(\d+)")


_PARTICLES = frozenset({"de", "van", "von", "der", "den", "le", "la", "da", "di", "du", "del", "della", "dos", "das",
                        "ten", "ter", "mac", "st", "el", "al"})


def _benchmark_authors(text: str) -> str:
    """``"Last, F. and Last, F."`` as the JSON list of [family, given] that ingest writes; a name
    without a comma is "Family Given", its family name being the first word, or the first two
    when the first is a particle ("De Caterina R.")."""
    people = []
    for name in re.split(r"\s+and\s+", text.strip()) if text.strip() else []:
        family, comma, given = name.partition(",")
        if not comma:
            words = name.split()
            # "De Caterina R.", "van Kessel M.": a particle belongs to the family name
            taken = 2 if len(words) > 2 and words[0].lower() in _PARTICLES else 1
            family, given = " ".join(words[:taken]), " ".join(words[taken:])
        people.append([family.strip(), given.strip()])
    return dumps(people)


def _page_bounds(pages: str) -> tuple[str, str]:
    """First and last page, the last expanded ("601-10" -> 601, 610); ("", "") when unreadable."""
    found = _PAGE_RANGE.match(pages or "")
    if not found:
        single = re.match(r"^\s*([A-Za-z]*\d+)\s*$", pages or "")
        return (single.group(1), "") if single else ("", "")
    prefix, start, _, end = found.groups()
    if len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return f"{prefix}{start}", f"{prefix}{end}"


def is_benchmark_table(columns: list[str]) -> bool:
    """Whether a CSV header is laid out like bib-dedupe's benchmark sets (ID, author, title, year...)."""
    return BENCHMARK_COLUMNS <= set(columns)


def records_from_benchmark(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """A bib-dedupe benchmark table (ID, ENTRYTYPE, author, year, title, journal or booktitle,
    volume, number or issue, pages, doi, abstract) as records with RECORD_COLUMNS; record_id is
    ``<source>:<ID>``."""
    missing = sorted(BENCHMARK_COLUMNS - set(frame.columns))
    if missing:
        raise PipelineError(f"benchmark table lacks column(s) {', '.join(missing)}", where=source,
                            fix="use records_pre_merged.csv from a bib-dedupe data set")
    empty = pd.Series("", index=frame.index, dtype=object)
    # each column read once, its cells stripped (a list comprehension: pandas' .str is slower on objects)
    stripped = {name: pd.Series([str(value).strip() for value in frame[name].fillna("").to_numpy(dtype=object)],
                                index=frame.index, dtype=object) for name in BENCHMARK_READ if name in frame.columns}

    def column(name: str) -> pd.Series:
        return stripped.get(name, empty)

    authors = column("author").map(_benchmark_authors)
    bounds = column("pages").map(_page_bounds)
    years = column("year").str.extract(r"(\d{4})", expand=False).fillna("")
    doi = column("doi").map(find_doi)
    keys = [record_key(doi=d, title=t, first_family=p.first_family(a), year=y)
            for d, t, a, y in zip(doi, column("title"), authors, years)]
    out = pd.DataFrame({name: "" for name in col.RECORD_COLUMNS}, index=frame.index)
    out = out.assign(**{
        col.RECORD_ID: source + ":" + column("ID"), col.RECORD_KEY: keys, col.SOURCE: source,
        col.LINE: [str(n + 2) for n in range(len(frame))], col.FORMAT: "csv",
        col.ENTRY_TYPE: column("ENTRYTYPE").str.lower().map(BENCHMARK_ENTRY_TYPES).fillna("other"),
        col.TITLE: column("title"), col.AUTHORS: authors,
        col.YEAR: years, col.JOURNAL: column("journal").where(column("journal") != "", column("booktitle")),
        col.VOLUME: column("volume"),
        col.ISSUE: column("number").where(column("number") != "", column("issue")), col.PAGES: column("pages"),
        col.PAGE_START: [start for start, _ in bounds], col.PAGE_END: [end for _, end in bounds],
        col.DOI: doi, col.ABSTRACT: column("abstract"), col.KEYWORDS: "[]", col.PUBLICATION_TYPES: "[]",
        col.RAW: "{}",
    })
    return out[col.RECORD_COLUMNS].reset_index(drop=True)


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    records: pd.DataFrame = file(Kind("table", "the ingested records", required=tuple(col.RECORD_COLUMNS)))
    decisions: pd.DataFrame = file(Kind("table", "human duplicate decisions (same/different)", line_numbers=True,
                                        optional=True, empty=tuple(col.DUPLICATE_DECISION_COLUMNS)))


@dataclass(frozen=True)
class Outputs:
    records: pd.DataFrame = file(Kind("table", "the records with their study and the rule behind every merge"))
    pairs: pd.DataFrame = file(Kind("table", "every candidate pair and the rule that decided it"))
    maybe: pd.DataFrame = file(Kind("table", "the pairs left for a human to decide"))
    studies: pd.DataFrame = file(Kind("table", "one row per study"))


def run(inputs: Inputs, settings: DedupSettings) -> Outputs:
    records, pairs, study_table = deduplicate(inputs.records, settings, inputs.decisions)
    log.info(summary(records, pairs))
    return Outputs(records, pairs, pairs[pairs[OUTCOME] == col.PairOutcome.MAYBE.value], study_table)


STAGE = Stage("deduplicate", "find duplicate records and group them into studies", Inputs, Outputs, run,
              from_config(lambda settings: settings.dedup))
