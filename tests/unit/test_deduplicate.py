"""deduplicate: outputs, kept record, study ids, decisions, summary, benchmark mapping.

``make_records`` below is also used by the other test_deduplicate_* modules.
"""

from __future__ import annotations

import hashlib
import json
import logging

import numpy as np
import pandas as pd
import pytest

from pipeline import columns as col
from pipeline.config import DedupSettings
from pipeline.dedup.block import MAX_BLOCK, WINDOW, candidate_pairs
from pipeline.dedup.match import RULES, apply_rules, pair_features
from pipeline.dedup.prep import (PREP_COLUMNS, alternative_title, doi_value, meeting_abstract, notice_kind,
                                  page_end_of, page_start_of, pages_as_date, pages_damaged, part_number, prep, protocol_of, supplement_of,
                                  match_title, names_degree, notice_title, venues_agree, volume_value)
from pipeline.deduplicate import (PAIR_COLUMNS, STANDALONE_COLUMNS, STUDY_COLUMNS, deduplicate, is_benchmark_table,
                                  records_from_benchmark, standalone, summary, validate_duplicate_decisions)
from pipeline.errors import CheckError, DecisionError, PipelineError
from pipeline.io import dumps
from pipeline.keys import record_key

SETTINGS = DedupSettings()
TEXT_FIELDS = [col.TITLE, col.YEAR, col.JOURNAL, col.VOLUME, col.ISSUE, col.PAGES, col.DOI, col.PMID, col.ABSTRACT]


def make_records(rows: list[dict]) -> pd.DataFrame:
    """Records with every RECORD_COLUMNS column from short dicts (authors as [[family, given]])."""
    built = []
    for index, fields in enumerate(rows):
        row = {name: "" for name in col.RECORD_COLUMNS}
        row.update({col.RECORD_ID: fields.get("record_id", f"t:{index:03d}"), col.SOURCE: "t", col.FILE: "t.ris",
                    col.LINE: str(index + 1), col.FORMAT: "ris",
                    col.ENTRY_TYPE: fields.get("entry_type", "journal_article"),
                    col.KEYWORDS: "[]", col.RAW: "{}"})
        row.update({name: str(fields.get(name, "")) for name in TEXT_FIELDS})
        authors = fields.get("authors", [])
        row[col.AUTHORS] = dumps(authors)
        row[col.PUBLICATION_TYPES] = dumps(fields.get("publication_types", []))
        row[col.RECORD_KEY] = fields.get("record_key") or record_key(
            doi=row[col.DOI], pmid=row[col.PMID], title=row[col.TITLE],
            first_family=authors[0][0] if authors else "", year=row[col.YEAR])
        built.append(row)
    return pd.DataFrame(built, columns=col.RECORD_COLUMNS)


def decisions_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"record_key_a": a, "record_key_b": b, "decision": d, "reviewer": "rv", "note": ""}
                         for a, b, d in rows], columns=col.DUPLICATE_DECISION_COLUMNS)


TRIAL = {"title": "Mindfulness training for hospice nurses: a randomised trial", "authors": [["Smith", "Jane"]],
         "year": "2015"}


# --- outputs ------------------------------------------------------------------------------------


def test_outputs_keep_input_rows_and_add_dedup_columns() -> None:
    records = make_records([TRIAL, {**TRIAL, "title": TRIAL["title"] + "."}, {"title": "Another study",
                                                                              "authors": [["Ng", "T."]], "year": "2001"}])
    shuffled = records.iloc[[2, 0, 1]].set_index(pd.Index([10, 11, 12]))
    records_out, pairs, studies = deduplicate(shuffled, SETTINGS)
    assert list(records_out.columns) == col.RECORD_COLUMNS + col.DEDUP_COLUMNS
    assert list(records_out.index) == [10, 11, 12]
    assert list(records_out[col.RECORD_ID]) == list(shuffled[col.RECORD_ID])
    assert list(pairs.columns) == PAIR_COLUMNS
    assert list(studies.columns) == STUDY_COLUMNS
    assert set(records_out[col.IS_DUPLICATE]) <= {"true", "false"}


def test_input_frame_is_not_mutated() -> None:
    records = make_records([TRIAL, TRIAL])
    before = records.copy()
    deduplicate(records, SETTINGS, decisions_frame([("doi:10.1/a", "doi:10.1/b", "same")]))
    pd.testing.assert_frame_equal(records, before)


def test_rerun_replaces_existing_dedup_columns() -> None:
    records = make_records([TRIAL, TRIAL])
    first, _, _ = deduplicate(records, SETTINGS)
    second, _, _ = deduplicate(first, SETTINGS)
    pd.testing.assert_frame_equal(first, second)


def test_empty_records_give_empty_tables() -> None:
    records_out, pairs, studies = deduplicate(make_records([]), SETTINGS)
    assert (len(records_out), len(pairs), len(studies)) == (0, 0, 0)
    assert list(pairs.columns) == PAIR_COLUMNS and list(studies.columns) == STUDY_COLUMNS


@pytest.mark.parametrize(("completeness", "kept"), [
    ([{}, {"journal": "J Nurs", "volume": "4"}, {"journal": "J Nurs"}], "t:001"),
    ([{"journal": "J Nurs"}, {"volume": "4"}, {}], "t:000"),
    ([{}, {}, {"abstract": "Background ..."}], "t:002"),
], ids=["most_fields", "tie_goes_to_first_record_id", "abstract_counts"])
def test_kept_record_is_the_most_complete(completeness: list[dict], kept: str) -> None:
    records_out, _, studies = deduplicate(make_records([{**TRIAL, **extra} for extra in completeness]), SETTINGS)
    assert records_out.loc[records_out[col.IS_DUPLICATE] == "false", col.RECORD_ID].tolist() == [kept]
    assert studies[[col.STUDY_ID, "kept_record_id", "n_records"]].values.tolist() == [
        [records_out[col.STUDY_ID].iloc[0], kept, "3"]]


def test_rule_and_partner_trace_the_join_back_to_the_kept_record() -> None:
    records = make_records([
        {**TRIAL, "doi": "10.1000/t1", "volume": "3"},
        {**TRIAL, "doi": "10.1000/t1"},
        {**TRIAL, "title": TRIAL["title"].upper(), "year": "2016"},
    ])
    records_out = deduplicate(records, SETTINGS)[0].set_index(col.RECORD_ID)
    assert records_out.loc["t:000", [col.IS_DUPLICATE, col.DEDUP_RULE, col.DEDUP_WITH]].tolist() == ["false", "", ""]
    assert records_out.loc["t:001", [col.DEDUP_RULE, col.DEDUP_WITH]].tolist() == ["same_doi", "t:000"]
    assert records_out.loc["t:002", col.DEDUP_RULE] == "title_author_year"
    assert records_out.loc["t:002", col.DEDUP_WITH] in {"t:000", "t:001"}


def test_singletons_have_no_rule() -> None:
    records_out = deduplicate(make_records([TRIAL]), SETTINGS)[0]
    assert records_out[col.DEDUP_COLUMNS[1:]].values.tolist() == [["false", "", ""]]


def test_pairs_are_oriented_sorted_and_scored_to_one_decimal() -> None:
    records = make_records([
        {**TRIAL, "record_id": "z:1"}, {**TRIAL, "record_id": "a:1", "title": TRIAL["title"] + " (abridged)"},
        {**TRIAL, "record_id": "m:1", "year": "2016"},
    ])
    pairs = deduplicate(records, SETTINGS)[1]
    assert (pairs["record_id_a"] < pairs["record_id_b"]).all()
    assert pairs[["record_id_a", "record_id_b"]].values.tolist() == sorted(
        pairs[["record_id_a", "record_id_b"]].values.tolist())
    assert pairs["title_score"].str.fullmatch(r"\d{1,3}\.\d").all()
    assert set(pairs["outcome"]) <= {outcome.value for outcome in col.PairOutcome}


def test_studies_take_each_field_from_the_kept_record_else_the_first_that_has_it() -> None:
    records = make_records([
        {**TRIAL, "doi": "10.1000/t1", "journal": "J Nurs", "volume": "4", "issue": "2"},
        {**TRIAL, "doi": "10.1000/t1", "abstract": "Background: ...", "pages": "10-20"},
        {**TRIAL, "doi": "10.1000/t1", "abstract": "Other abstract"},
    ])
    study = deduplicate(records, SETTINGS)[2].iloc[0]
    assert study["kept_record_id"] == "t:000"
    assert (study["journal"], study["abstract"], study["pages"]) == ("J Nurs", "Background: ...", "10-20")
    assert study["record_ids"] == "t:000;t:001;t:002"
    provenance = json.loads(study["provenance"])
    assert provenance["journal"] == "t:000" and provenance["abstract"] == "t:001" and "pmid" not in provenance
    assert study["provenance"] == dumps(provenance)


# --- study ids ----------------------------------------------------------------------------------


def expected_study_id(family: str, year: str, key: str) -> str:
    return f"{family}{year}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"


@pytest.mark.parametrize(("rows", "family", "year", "key"), [
    ([{**TRIAL, "pmid": "123"}, {**TRIAL, "doi": "10.1000/x", "authors": [["Smith-Jones", "A."]]}],
     "smithjones", "2015", "doi:10.1000/x"),
    ([{**TRIAL, "pmid": "123"}, {**TRIAL}], "smith", "2015", "pmid:123"),
    ([{**TRIAL, "year": ""}], "smith", "nd", None),
    ([{**TRIAL, "authors": []}], "anon", "2015", None),
], ids=["doi_before_pmid", "pmid_before_ref", "no_year", "no_author"])
def test_study_id_comes_from_the_canonical_key(rows: list[dict], family: str, year: str, key: str | None) -> None:
    records = make_records(rows)
    records_out = deduplicate(records, SETTINGS)[0]
    assert records_out[col.STUDY_ID].nunique() == 1
    canonical = key or records[col.RECORD_KEY].iloc[0]
    assert records_out[col.STUDY_ID].iloc[0] == expected_study_id(family, year, canonical)


def test_study_id_survives_new_records_joining_the_cluster() -> None:
    before = make_records([{**TRIAL, "record_id": "m:5", "doi": "10.1000/t1"}, {**TRIAL, "record_id": "m:7"}])
    after = pd.concat([before, make_records([{**TRIAL, "record_id": "a:1", "title": TRIAL["title"] + "!",
                                              "authors": [["Smith", "J."], ["Ng", "T."]], "year": "2016"}])])
    first, second = deduplicate(before, SETTINGS)[0], deduplicate(after, SETTINGS)[0]
    assert first[col.STUDY_ID].nunique() == second[col.STUDY_ID].nunique() == 1
    assert second[col.STUDY_ID].iloc[0] == first[col.STUDY_ID].iloc[0]


def test_clusters_sharing_a_canonical_key_get_distinct_study_ids() -> None:
    abstract = {**TRIAL, "journal": "Conference", "volume": "7", "pages": "S12"}
    paper = {**TRIAL, "journal": "Journal", "volume": "31", "pages": "100-110"}
    records_out, _, studies = deduplicate(make_records([abstract, paper]), SETTINGS)
    key = records_out[col.RECORD_KEY].iloc[0]
    assert records_out[col.RECORD_KEY].nunique() == 1
    assert records_out[col.STUDY_ID].nunique() == 2
    plain = expected_study_id("smith", "2015", key)
    assert plain in set(records_out[col.STUDY_ID])
    assert len(studies) == 2


# --- human decisions ----------------------------------------------------------------------------


def test_validate_returns_stripped_lower_case_decisions() -> None:
    frame = decisions_frame([(" doi:10.1/a ", "ref:b", " Same ")])
    clean = validate_duplicate_decisions(frame, "duplicates.csv")
    assert clean.iloc[0].tolist() == ["doi:10.1/a", "ref:b", "same", "rv", ""]


@pytest.mark.parametrize(("frame", "where", "what", "fix"), [
    (decisions_frame([]).drop(columns=["decision"]), "duplicates.csv:1", "missing column(s) decision",
     "the header must be exactly: record_key_a,record_key_b,decision,reviewer,note"),
    (decisions_frame([]).assign(date=""), "duplicates.csv:1", "unknown column(s) date", "the header must be exactly"),
    (decisions_frame([("ref:a", "ref:b", "same"), ("ref:a", "ref:c", "dupe")]), "duplicates.csv:3",
     "decision 'dupe' is not allowed", "write 'same' (one study) or 'different' (two studies)"),
    (decisions_frame([("", "ref:b", "same")]), "duplicates.csv:2", "record_key_a is empty",
     "copy the record_key of both records"),
    (decisions_frame([("ref:a", " ", "different")]), "duplicates.csv:2", "record_key_b is empty",
     "copy the record_key of both records"),
    (decisions_frame([("ref:a", "ref:a", "same")]), "duplicates.csv:2", "are the same key 'ref:a'",
     "a decision pairs two different record keys"),
    (decisions_frame([("ref:a", "ref:b", "same"), ("ref:c", "ref:d", "same"), ("ref:b", "ref:a", "different")]),
     "duplicates.csv:4", "decision 'different' contradicts 'same' for the same keys on line 2", "keep one of the two rows"),
], ids=["missing_column", "unknown_column", "bad_decision", "empty_key_a", "empty_key_b", "same_key", "contradiction"])
def test_validate_reports_file_line_what_and_fix(frame: pd.DataFrame, where: str, what: str, fix: str) -> None:
    with pytest.raises(DecisionError) as caught:
        validate_duplicate_decisions(frame, "duplicates.csv")
    assert caught.value.where == where
    assert what in caught.value.what
    assert fix in caught.value.fix
    assert str(caught.value).startswith(f"{where}: ")


def test_deduplicate_validates_decisions() -> None:
    with pytest.raises(DecisionError, match="decision 'maybe' is not allowed"):
        deduplicate(make_records([TRIAL]), SETTINGS, decisions_frame([("ref:a", "ref:b", "maybe")]))


def test_decision_naming_no_record_is_logged_not_dropped_silently(caplog: pytest.LogCaptureFixture) -> None:
    records = make_records([TRIAL])
    key = records[col.RECORD_KEY].iloc[0]
    with caplog.at_level(logging.WARNING, logger="pipeline.deduplicate"):
        records_out = deduplicate(records, SETTINGS, decisions_frame([(key, "doi:10.1/gone", "same")]))[0]
    assert "matches no record for doi:10.1/gone" in caplog.text
    assert records_out[col.IS_DUPLICATE].tolist() == ["false"]


# --- bad records --------------------------------------------------------------------------------


@pytest.mark.parametrize(("records", "where", "what"), [
    (make_records([TRIAL]).drop(columns=[col.DOI, col.PAGES]), "deduplicate input", "records lack column(s) pages, doi"),
    (make_records([TRIAL, {**TRIAL, "record_id": "t:000"}]), "record t:000", "record_id appears on 2 rows"),
    (make_records([TRIAL, {**TRIAL, "record_id": " "}]), "records row 3", "record has an empty record_id"),
], ids=["missing_columns", "repeated_record_id", "empty_record_id"])
def test_bad_records_are_reported(records: pd.DataFrame, where: str, what: str) -> None:
    with pytest.raises(CheckError) as caught:
        deduplicate(records, SETTINGS)
    assert what in caught.value.what
    assert caught.value.where == where
    assert "ingest" in caught.value.fix


# --- summary ------------------------------------------------------------------------------------


def test_summary_counts_duplicates_by_rule_and_maybe_pairs() -> None:
    records = make_records([
        {**TRIAL, "doi": "10.1000/t1"}, {**TRIAL, "doi": "10.1000/t1"}, {**TRIAL, "year": "2016"},
        {"title": "Secondary traumatic stress among child welfare workers", "authors": [["Bride", "B."]], "year": "2007"},
        {"title": "Secondary traumatic stress among child welfare workers", "authors": [["Hollings", "K."]],
         "year": "2007"},
    ])
    records_out, pairs, _ = deduplicate(records, SETTINGS)
    assert summary(records_out, pairs) == (
        "deduplicate: 5 records -> 3 studies; 2 duplicates (same_doi=1, title_author_year=1); "
        "1 maybe pair for review")


def test_summary_without_duplicates() -> None:
    records_out, pairs, _ = deduplicate(make_records([TRIAL]), SETTINGS)
    assert summary(records_out, pairs) == "deduplicate: 1 records -> 1 studies; 0 duplicates; 0 maybe pairs for review"


# --- prep and blocking ---------------------------------------------------------------------------


def test_prep_is_sorted_by_record_id_and_remembers_input_rows() -> None:
    records = make_records([{**TRIAL, "record_id": "z:1"}, {**TRIAL, "record_id": "a:1", "pages": "e0123-30",
                                                            "title": "[Translated title]. [Spanish]"}])
    frame = prep(records)
    assert list(frame.columns) == PREP_COLUMNS
    assert frame["record_id"].tolist() == ["a:1", "z:1"]
    assert frame["input_row"].tolist() == [1, 0]
    assert frame.loc[0, ["title_norm", "page_start_norm", "family", "year_int"]].tolist() == [
        "translated title", "123", "smith", 2015]


@pytest.mark.parametrize(("title", "types", "kind"), [
    ("Erratum: Burnout in nurses", "[]", "erratum"),
    ("Corrigendum to 'Burnout in nurses'", "[]", "erratum"),
    ("Correction: Burnout in nurses", "[]", "erratum"),
    ("Burnout in nurses (vol 12, pg 34, 2010)", "[]", "erratum"),
    ("Burnout in nurses", '["Published Erratum"]', "erratum"),
    ("Retraction: Burnout in nurses", "[]", "retraction"),
    ("Notice of retraction. Burnout in nurses", "[]", "retraction"),
    ("Comment on: Burnout in nurses", "[]", "comment"),
    ("In reply", "[]", "reply"),
    ("Burnout in nurses - Reply", "[]", "reply"),
    ("Response to the letter by Smith on burnout", "[]", "reply"),
    ("The authors' reply", "[]", "reply"),
    ("Correction of hyponatraemia in older adults", "[]", ""),
    ("Response of tumours to radiotherapy", "[]", ""),
    ("Retracted publications in oncology: a bibliometric study", "[]", ""),
    ("Burnout in nurses.[Erratum appears in J Nurs 2010;3:4]", "[]", ""),
    ("Burnout in nurses", '["Journal Article", "Retracted Publication"]', ""),
], ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None)
def test_notice_kind(title: str, types: str, kind: str) -> None:
    assert notice_kind(title, types) == kind


@pytest.mark.parametrize(("title", "part"), [
    ("self care part i the evidence", "1"), ("self care part ii", "2"), ("self care part 3 methods", "3"),
    ("self care part two", "2"), ("self care as part of practice", ""), ("part time work and burnout", ""),
])
def test_part_number(title: str, part: str) -> None:
    assert part_number(title) == part


def test_blocking_stays_far_below_all_pairs() -> None:
    words = ["burnout", "stress", "trauma", "nurses", "police", "teachers", "coping", "support", "training", "risk"]
    rows = [{"title": f"{words[i % 10]} {words[(i // 10) % 10]} {words[(i // 100) % 10]} study number {i}",
             "authors": [[f"Author{i % 5}", "A."]], "year": str(2000 + i % 3)} for i in range(600)]
    frame = prep(make_records(rows))
    pairs = candidate_pairs(frame)
    assert len(pairs) < 600 * 599 / 2 / 10
    assert (pairs["pos_a"] < pairs["pos_b"]).all()


def test_a_block_larger_than_the_cap_gives_a_window_of_pairs_per_record() -> None:
    size = MAX_BLOCK + 50
    rows = [{"title": f"Distinct topic {i:04d} in occupational health", "authors": [["Wang", "L."]], "year": "2019"}
            for i in range(size)]
    pairs = candidate_pairs(prep(make_records(rows)))
    assert len(pairs) <= size * WINDOW
    assert len(pairs) >= size - 1


def test_rule_ids_are_unique_and_the_fallback_decides_everything_left() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    frame = prep(make_records([TRIAL, {"title": "Unrelated", "authors": [["Ng", "T."]], "year": "2015"}]))
    pairs = pd.DataFrame({"pos_a": np.array([0]), "pos_b": np.array([1])})
    decided = apply_rules(pair_features(frame, pairs), SETTINGS)
    assert decided["rule"].tolist() == [RULES[-1].id]


# --- benchmark mapping --------------------------------------------------------------------------


def test_records_from_benchmark_maps_columns() -> None:
    frame = pd.DataFrame([{"ID": "id_1", "ENTRYTYPE": "article", "author": "Zhai, Q. J. and Yue, X. Y.",
                           "year": "2010", "title": "Batroxobin for vascular cognitive impairment",
                           "journal": "Chin J Cerebrovasc Dis", "volume": "7", "number": "2", "pages": "601-10",
                           "doi": "https://doi.org/10.1000/ABC"}])
    records = records_from_benchmark(frame, "stroke")
    row = records.iloc[0]
    assert list(records.columns) == col.RECORD_COLUMNS
    assert row[col.RECORD_ID] == "stroke:id_1"
    assert json.loads(row[col.AUTHORS]) == [["Zhai", "Q. J."], ["Yue", "X. Y."]]
    assert (row[col.PAGE_START], row[col.PAGE_END], row[col.ISSUE]) == ("601", "610", "2")
    assert (row[col.DOI], row[col.RECORD_KEY]) == ("10.1000/abc", "doi:10.1000/abc")
    assert row[col.ENTRY_TYPE] == "journal_article"


def test_records_from_benchmark_needs_its_columns() -> None:
    with pytest.raises(PipelineError, match="benchmark table lacks column\\(s\\) author, title"):
        records_from_benchmark(pd.DataFrame({"ID": ["x"], "year": ["2000"]}), "stroke")


def test_records_from_benchmark_takes_booktitle_and_issue_when_journal_and_number_are_absent() -> None:
    frame = pd.DataFrame([{"ID": "id_2", "ENTRYTYPE": "inproceedings", "author": "Deng, Chaoqun", "year": "2017",
                           "title": "Trust in the sharing economy", "journal": "",
                           "booktitle": "Americas Conference on Information Systems", "issue": "4"}])
    row = records_from_benchmark(frame, "special").iloc[0]
    assert (row[col.JOURNAL], row[col.ISSUE], row[col.ENTRY_TYPE]) == (
        "Americas Conference on Information Systems", "4", "conference")


@pytest.mark.parametrize(("columns", "expected"), [
    (["ID", "ENTRYTYPE", "author", "year", "title", "journal"], True),
    (["ID", "title", "year", "author", "pages"], True),
    (["record_id", "title", "authors", "year"], False),
], ids=["bib_dedupe_layout", "minimal_layout", "pipeline_records"])
def test_is_benchmark_table(columns: list[str], expected: bool) -> None:
    assert is_benchmark_table(columns) is expected


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("page_start", "pages", "expected"), [
    ("", "Nov-19", "11"), ("", "11-Sep", "11"), ("", "Oct-17", "10"), ("", "10-Jul", "10"),
    ("", "e0123", "123"), ("", "S124", "124"), ("601", "601-10", "601"), ("", "", ""), ("", "xii-xv", "xii"),
    ("var.pagings", "var.pagings", ""), ("", "(no pagination)", ""),
], ids=["month_first_date", "day_first_date", "october", "july", "electronic_prefix", "supplement_page", "page_start_cell", "none", "roman", "various", "no_pagination"])
def test_page_start_of(page_start: str, pages: str, expected: str) -> None:
    assert page_start_of(page_start, pages) == expected


@pytest.mark.parametrize(("pages", "page_start", "year", "damaged"), [
    ("2013", "2013", "2013", True), ("2013-2020", "", "2013", True), ("2013", "2013", "2012", False),
    ("23-30", "23", "2013", False), ("May", "", "", False), ("215 p", "", "2011", True),
    ("xii, 240 pp.", "", "", True), ("275P", "", "2015", False),
], ids=["year_as_page", "year_as_range", "page_2013", "range", "word", "page_count", "roman_and_page_count",
        "poster_number"])
def test_pages_damaged(pages: str, page_start: str, year: str, damaged: bool) -> None:
    assert pages_damaged(pages, page_start, year) == damaged


@pytest.mark.parametrize(("pages", "as_date"), [
    ("Nov-19", True), ("11-Sep", True), ("Aug-13", True), ("04-May", True), ("8-13", False), ("May", False)])
def test_pages_as_date(pages: str, as_date: bool) -> None:
    assert pages_as_date(pages) == as_date


@pytest.mark.parametrize(("pages", "expected"), [
    ("601-10", "610"), ("2297-2108", "2108"), ("945-945", ""), ("945", ""), ("S12-S15", "15"), ("", ""),
], ids=["abbreviated_range", "mistyped_first_page", "one_page_as_range", "one_page", "supplement_range", "none"])
def test_page_end_of(pages: str, expected: str) -> None:
    assert page_end_of("", "", pages) == expected


@pytest.mark.parametrize(("volume", "expected"), [
    ("35 Suppl 1", "35"), ("007", "7"), ("3)", ""), ("A)", ""), ("Suppl 2", ""),
    ("Japanese journal of clinical medicine. 69", "69"), ("11 (3) (no pagination)", "11"), ("", ""),
], ids=["supplement_after_volume", "leading_zeros", "split_fragment", "letter_fragment", "bare_supplement",
        "journal_words_before", "issue_in_brackets", "empty"])
def test_volume_value(volume: str, expected: str) -> None:
    assert volume_value(volume) == expected


@pytest.mark.parametrize(("volume", "issue", "expected"), [
    ("30", "SUPPL. 3", "3"), ("147 Suppl 1", "", "1"), ("128", "3 SUPPL. 1", "1"), ("35", "SUPPL. A", "a"),
    ("8", "S2", "2"), ("8", "2", ""), ("61", "Supplement_1", ""),
], ids=["issue_suppl", "volume_suppl", "issue_then_suppl", "letter", "s_number", "plain_issue", "underscored"])
def test_supplement_of(volume: str, issue: str, expected: str) -> None:
    assert supplement_of(volume, issue) == expected


@pytest.mark.parametrize(("doi", "expected"), [
    ("10.1016/s0025-7753%2817%2930624-3", "10.1016/s0025-7753(17)30624-3"),
    ("http://dx.doi.org/10.1002/DMRR.2604", "10.1002/dmrr.2604"),
    ("not a doi", ""),
], ids=["percent_encoded", "resolver_prefix", "not_doi_shaped"])
def test_doi_value(doi: str, expected: str) -> None:
    assert doi_value(doi) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("Ph.D.", True),
    ("Doctoral dissertation, University of Oslo", True),
    ("Dissertation Abstracts International: Section B", False),
    ("Stroke", False),
], ids=["degree_as_volume", "degree_as_journal", "dissertation_abstracts", "journal"])
def test_names_degree(cell: str, expected: bool) -> None:
    assert names_degree(cell) is expected


@pytest.mark.parametrize(("title", "notice", "expected"), [
    ("Erratum to - How do requirements evolve?", "erratum", "how do requirements evolve"),
    ('Corrigendum to "Joint planning as governance"', "erratum", "joint planning as governance"),
    ("Correction: A systematic review of rodent pest research", "erratum", "a systematic review of rodent pest research"),
    ("Notice of correction to Leveraging IT resources", "erratum", "leveraging it resources"),
    ("Erratum to - How do requirements evolve?", "", ""),
], ids=["erratum_to", "corrigendum_quoted", "correction_colon", "notice_of_correction", "not_an_erratum"])
def test_notice_title(title: str, notice: str, expected: str) -> None:
    assert notice_title(match_title(title), notice) == expected


@pytest.mark.parametrize(("venue_a", "venue_b", "agree"), [
    ("j pharmacol sci", "journal of pharmacological sciences", True),
    ("med clin barc", "medicina clinica", True),
    ("faseb journal conference experimental biology", "faseb j", True),
    ("icis transforming society with digital innovation", "international conference on information systems", True),
    ("amcis 2017 proceedings", "americas conference on information systems", True),
    ("2010 ieee international conference on systems man", "ieee international conference on systems man", True),
    ("diabetes", "faseb journal", False),
    ("international conference on information systems",
     "proceedings of the 51st hawaii international conference on system sciences", False),
    ("haematologica the hematology journal", "british journal of haematology", False),
    ("gastroenterology", "united european gastroenterol j", False),
    ("", "anything", True),
], ids=["abbreviated", "both_abbreviated", "conference_suffix", "acronym", "acronym_of_prefixes", "year_prefix",
        "different_journals", "different_conferences", "different_haematology_journals", "name_inside_another",
        "unknown"])
def test_venues_agree(venue_a: str, venue_b: str, agree: bool) -> None:
    assert venues_agree(venue_a, venue_b) is agree
    assert venues_agree(venue_b, venue_a) is agree


@pytest.mark.parametrize(("title", "expected"), [
    ("Crowdwork: applying a theory [Arbeiten in der Crowd: Perspektiven]", "arbeiten in der crowd perspektiven"),
    ("Effects of statins [Review]", ""),
    ("[Protective effects of incretin on atherosclerosis]. [Japanese]", ""),
    ("Plain title", ""),
], ids=["original_language_title", "note", "translated_title_only", "none"])
def test_alternative_title(title: str, expected: str) -> None:
    assert alternative_title(title) == expected


@pytest.mark.parametrize(("entry_type", "journal", "volume", "issue", "pages", "expected"), [
    ("conference", "ICIS", "", "", "", "abstract"),
    ("journal_article", "Neurology. Conference: 68th Annual Meeting", "86", "", "", "abstract"),
    ("journal_article", "Diabetes", "61", "SUPPL. 1", "A121", "abstract"),
    ("journal_article", "Transplantation", "10S)", "", "1150", "abstract"),
    ("journal_article", "Australas J Dermatol", "60", "", "43-43", "abstract"),
    ("journal_article", "World Neurosurg", "86", "", "432-449", ""),
], ids=["conference_entry", "conference_journal", "supplement_issue", "supplement_fragment", "one_page_range",
        "article"])
def test_meeting_abstract(entry_type: str, journal: str, volume: str, issue: str, pages: str, expected: str) -> None:
    assert meeting_abstract(entry_type, journal, volume, issue, pages) == expected


@pytest.mark.parametrize(("title", "expected"), [
    ("mindfulness for nurses study protocol for a randomised controlled trial", "protocol"),
    ("protocol a trial of mindfulness for nurses", "protocol"),
    ("effect of a sepsis treatment protocol in the emergency department", ""),
    ("mindfulness for nurses a randomised controlled trial", ""),
], ids=["study_protocol", "leading_protocol", "protocol_as_topic", "results"])
def test_protocol_of(title: str, expected: str) -> None:
    assert protocol_of(title) == expected


# --- standalone ---------------------------------------------------------------------------------


def test_standalone_gives_one_row_per_input_record_in_input_order() -> None:
    records = make_records([
        {**TRIAL, "record_id": "medline:77"},
        {**TRIAL, "record_id": "cinahl:5", "title": TRIAL["title"] + "."},
        {**TRIAL, "record_id": "psyc:9", "authors": [["Okafor", "C."]]},
        {"record_id": "medline:80", "title": "Another study", "authors": [["Ng", "T."]], "year": "2001"},
    ]).assign(**{col.SOURCE: ["medline", "cinahl", "psyc", "medline"]})
    result = standalone(records.iloc[[3, 0, 1, 2]], SETTINGS)
    assert list(result.columns) == STANDALONE_COLUMNS
    assert result[col.RECORD_ID].tolist() == ["80", "77", "5", "9"]
    rows = result.set_index(col.RECORD_ID)
    assert rows.loc["5", "study_id"] == rows.loc["77", "study_id"] != rows.loc["80", "study_id"]
    assert sorted(rows.loc[["77", "5"], "decision"]) == ["duplicate", "maybe"]  # the kept one meets psyc:9
    duplicate = rows.loc[["77", "5"]].query("decision == 'duplicate'")
    assert duplicate["rule"].tolist() == ["same_record_key"]
    assert (rows.loc["9", "decision"], rows.loc["9", "rule"]) == ("maybe", "strong_title_weak_agreement")
    assert (rows.loc["80", "decision"], rows.loc["80", "rule"]) == ("kept", "")


def test_standalone_follows_a_reviewers_decision() -> None:
    records = make_records([{**TRIAL, "doi": "10.1000/a"}, {**TRIAL, "doi": "10.1000/b"}])
    keys = records[col.RECORD_KEY].tolist()
    apart = standalone(records, SETTINGS)
    together = standalone(records, SETTINGS, decisions_frame([(keys[0], keys[1], "same")]))
    assert apart["study_id"].nunique() == 2 and set(apart["decision"]) == {"kept"}
    assert together["study_id"].nunique() == 1
    assert sorted(zip(together["decision"], together["rule"])) == [("duplicate", "human_same"), ("kept", "")]


@pytest.mark.parametrize(("cell", "doi"), [
    ("10.1055/s-0035-1555824 [doi]", "10.1055/s-0035-1555824"),
    ("S0161-813X(08)00230-1 [pii];10.1016/j.neuro.2008.10.003", "10.1016/j.neuro.2008.10.003"),
    ("http://dx.doi.org/10.1080/07448481.2012.123", "10.1080/07448481.2012.123"),
    ("10.1000/abc.1; 10.1000/abc.2", "10.1000/abc.1"),
    ("10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
     "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"),
    ("S0161-813X(08)00230-1 [pii]", ""), ("", ""),
], ids=["tag", "pii_first", "resolver", "two_dois", "sici_semicolon", "pii_only", "empty"])
def test_find_doi_takes_the_doi_out_of_a_cell(cell: str, doi: str) -> None:
    from pipeline.keys import find_doi
    assert find_doi(cell) == doi
