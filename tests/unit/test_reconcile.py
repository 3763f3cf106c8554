"""Unit tests for pipeline.reconcile: published against reproduced, and the published arithmetic."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline import config
from pipeline.config import Hierarchy, Level, SearchSettings, Settings, Source, TableSpec
from pipeline.errors import PipelineError
from pipeline.io import read_table
from pipeline.reconcile import (ARITHMETIC_COLUMNS, RECONCILE_COLUMNS, _join_reasons, arithmetic, as_int, compare, fold_label,
                                prisma_number, reconcile, summary, to_markdown)

LEVELS = (Level("best", "Best Practice"), Level("emerging", "Emerging Practice"),
          Level("contraindicated", "Contraindicated Practice"))
HEADER = ["Practice Setting", "Best Practice", "Emerging Practice", "Contraindicated Practice", "Total"]


def make_settings(date_from: int | None = 2000) -> Settings:
    return Settings(
        review_id="toy", title="Toy review",
        search=SearchSettings(string="burnout", date_from=date_from),
        sources=(Source("medline", "MEDLINE", "a.nbib"), Source("cinahl", "CINAHL", "b.ris"),
                 Source("hand", "Hand search", "c.ris", other_method="citation")),
        criteria=(),
        hierarchy=Hierarchy(levels=LEVELS, designs=(), precedence=("no_effect", "design"),
                            no_effect_level="contraindicated"),
        tables=(TableSpec("table4_setting", "Practice Setting", "setting", "Practice Setting"),),
    )


def frame(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header, dtype=str)


def classified() -> pd.DataFrame:
    return pd.DataFrame({
        "study_id": ["s1", "s2", "s3", "s4", "s5"],
        "first_author": ["Ames", "Berg", "Cole", "Diaz", "Eng"],
        "year": ["2011", "2012", "2013", "2014", "2015"],
        "setting": ["Medical", "Medical", "not_reported", "not_reported", "Medical"],
        "evidence_level": ["best", "emerging", "emerging", "contraindicated", "emerging"],
        "evidence_rule": ["design", "design", "design", "no_effect", "override"],
        "evidence_inputs": ['{"design":"rct"}', '{"design":"opinion"}', '{"design":"opinion"}',
                            '{"effect":"no_effect"}', '{"design":"opinion"}'],
        "override_reason": ["", "", "", "", "the authors call it a pilot"],
    }, dtype=str)


def studies() -> pd.DataFrame:
    return pd.DataFrame({
        "study_id": ["s1", "s2", "s3", "s4", "s5", "x9"],
        "record_keys": ["doi:10.1/a", "doi:10.1/b;pmid:22", "doi:10.1/c", "doi:10.1/d", "doi:10.1/e", "doi:10.1/x"],
        "screen_decision": ["included"] * 5 + ["excluded"],
    }, dtype=str)


def reproduced_tables() -> dict[str, pd.DataFrame]:
    return {"table4_setting": frame(HEADER, [
        ["Medical", "1", "2", "0", "3"],
        ["Not reported", "0", "1", "1", "2"],
        ["Total", "1", "3", "1", "5"],
    ])}


PRISMA = {"identification": {"databases": {"MEDLINE": 30, "CINAHL": 20}, "databases_total": 50, "other_total": 0},
          "included": {"studies": 5, "reports": 5}}


def published(**replace: pd.DataFrame) -> dict[str, pd.DataFrame]:
    material = {
        "counts": frame(["quantity", "value", "source", "quote"], [
            ["records_identified", "537", "p. 9", "537 potentially relevant articles"],
            ["studies_included", "5", "p. 9", ""],
            ["level_best", "1", "p. 10", ""],
            ["level_emerging", "4", "p. 10", ""],
            ["level_contraindicated", "1", "p. 10", ""],
            ["list_best", "1", "p. 70", ""],
            ["list_emerging", "3", "p. 71", ""],
            ["list_contraindicated", "1", "p. 72", ""],
            ["sources_searched", "2", "p. 8", ""],
            ["date_from", "2000", "p. 8", ""],
            ["pages", "80", "cover", ""],
        ]),
        "levels": frame(["key", "level", "line", "citation"], [
            ["doi:10.1/a", "best", "1740", "Ames 2011"],
            ["pmid:22", "emerging", "1815", "Berg 2012"],
            ["doi:10.1/c", "best", "1741", "Cole 2013"],
            ["doi:10.1/x", "emerging", "1816", "Xu 2010"],
            ["doi:10.1/missing", "Emerging Practice", "1817", "Yu 2009"],
            ["doi:10.1/d", "contraindicated", "1890", "Diaz 2014"],
        ]),
        "reasons": frame(["table", "row", "column", "reason"], [
            ["table4_setting", "medical", "", "the report merged two settings into Medical"],
        ]),
        "table4_setting": frame(HEADER, [
            ["Medical", "1", "3", "0", "4"],
            ["Academia", "0", "1", "", "1"],
            ["Total", "1", "4", "1", "6"],
        ]),
    }
    material.update(replace)
    return material


def run(material: dict[str, pd.DataFrame] | None = None, **kwargs: object) -> pd.DataFrame:
    options = {"studies": studies(), **kwargs}
    return reconcile(published() if material is None else material, reproduced_tables(), PRISMA, classified(),
                     make_settings(), **options)


def line(result: pd.DataFrame, kind: str, table: str, row: str, column: str) -> dict[str, str]:
    found = result[(result["kind"] == kind) & (result["table"] == table) & (result["row"] == row)
                   & (result["column"] == column)]
    assert len(found) == 1, f"expected one {kind} line for {table}/{row}/{column}, found {len(found)}"
    return found.iloc[0].to_dict()


# --- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("12", 12), ("1,234", 1234), (" 7 ", 7), ("-3", -3), ("", None), ("n/a", None), ("4a", None), ("--3", None),
], ids=["plain", "thousands", "spaces", "negative", "empty", "words", "suffix", "double-sign"])
def test_as_int(text, expected):
    assert as_int(text) == expected


@pytest.mark.parametrize("published_value, reproduced_value, expected", [
    ("5", "5", ("match", "0")),
    ("5", "7", ("differs", "2")),
    ("", "0", ("not_published", "")),
    (None, "3", ("not_published", "")),
    ("4", None, ("not_reproduced", "")),
    ("Medical ", "medical", ("match", "")),
    ("2000", "", ("differs", "")),
], ids=["equal", "differs", "empty-printed", "absent", "not-reproduced", "text-folded", "text-vs-empty"])
def test_compare(published_value, reproduced_value, expected):
    status, difference = compare(published_value, reproduced_value)
    assert (status.value, difference) == expected


def test_fold_label_ignores_case_and_every_space():
    folded = fold_label("refugee resettlement/torture treatment")
    assert fold_label("Refugee resettlement/ torture  Treatment") == folded


@pytest.mark.parametrize("counts, expected", [
    ({"identification": {"databases_total": 50}}, 50),
    ({"identification.databases_total": 12}, 12),
    ({"identification": {"databases_total": 50, "databases": {"A": 1}}}, 50),
    ({"included": {"studies": 3}}, None),
], ids=["nested", "flat", "nested-with-siblings", "absent"])
def test_prisma_number(counts, expected):
    assert prisma_number(counts, "identification.databases_total") == expected


# --- the reconciliation --------------------------------------------------------------------


def test_output_shape_order_and_text_cells():
    result = run()
    assert list(result.columns) == RECONCILE_COLUMNS
    keys = list(zip(result["kind"], result["table"], result["row"], result["column"]))
    assert keys == sorted(keys)
    assert set(result["kind"]) == {"count", "table_cell", "study_level", "list_vs_table"}
    assert all(isinstance(v, str) for v in result.to_numpy().ravel())


def test_every_row_that_does_not_match_has_a_reason_and_matches_have_none():
    result = run()
    open_rows = result[result["status"] != "match"]
    assert len(open_rows) > 0
    assert (open_rows["reason"].str.strip() != "").all()
    assert (result.loc[result["status"] == "match", "reason"] == "").all()


def test_inputs_are_not_mutated():
    material, tables, studies_frame, studied = published(), reproduced_tables(), studies(), classified()
    before = ({k: v.copy() for k, v in material.items()}, {k: v.copy() for k, v in tables.items()},
              studies_frame.copy(), studied.copy())
    reconcile(material, tables, PRISMA, studied, make_settings(), studies=studies_frame)
    for stem, original in before[0].items():
        pd.testing.assert_frame_equal(material[stem], original)
    pd.testing.assert_frame_equal(tables["table4_setting"], before[1]["table4_setting"])
    pd.testing.assert_frame_equal(studies_frame, before[2])
    pd.testing.assert_frame_equal(studied, before[3])


def test_is_deterministic():
    pd.testing.assert_frame_equal(run(), run())


@pytest.mark.parametrize("quantity, published_value, reproduced_value, status, difference", [
    ("records_identified", "537", "50", "differs", "-487"),
    ("studies_included", "5", "5", "match", "0"),
    ("level_best", "1", "1", "match", "0"),
    ("level_emerging", "4", "3", "differs", "-1"),
    ("list_best", "1", "2", "differs", "1"),
    ("list_emerging", "3", "3", "match", "0"),
    ("sources_searched", "2", "2", "match", "0"),
    ("date_from", "2000", "2000", "match", "0"),
    ("pages", "80", "", "not_reproduced", ""),
], ids=["records", "studies", "level-match", "level-differs", "list-differs", "list-match", "sources", "date",
        "unknown-quantity"])
def test_counts(quantity, published_value, reproduced_value, status, difference):
    found = line(run(), "count", "counts", quantity, "")
    assert (found["published"], found["reproduced"], found["status"], found["difference"]) == (
        published_value, reproduced_value, status, difference)


@pytest.mark.parametrize("quantity, fragments", [
    ("records_identified", ["the exports hold 50 records", "CINAHL 20", "MEDLINE 30", "does not list"]),
    ("level_emerging", ["classification puts 3 studies at Emerging Practice", "the report states 4",
                        "1 of them by a human override", "list has 3 entries",
                        "move 0 listed studies out of this level and 1 in"]),
    ("list_best", ["has 2 entries at Best Practice", "the printed list has 1"]),
    ("pages", ["computes no quantity 'pages'"]),
], ids=["records", "level", "list", "unknown"])
def test_count_automatic_reasons(quantity, fragments):
    reason = line(run(), "count", "counts", quantity, "")["reason"]
    for fragment in fragments:
        assert fragment in reason


def test_counts_missing_from_counts_csv_are_not_published():
    counts = frame(["quantity", "value"], [["studies_included", "5"]])
    found = line(run(published(counts=counts)), "count", "counts", "level_best", "")
    assert (found["status"], found["reproduced"]) == ("not_published", "1")
    assert "has no value for 'level_best'" in found["reason"]


def test_date_from_unset_in_config_differs():
    result = reconcile(published(), reproduced_tables(), PRISMA, classified(), make_settings(date_from=None),
                       studies=studies())
    found = line(result, "count", "counts", "date_from", "")
    assert found["status"] == "differs" and "search.date_from is unset" in found["reason"]


def test_list_vs_table_compares_the_report_with_itself():
    found = line(run(), "list_vs_table", "counts", "level_emerging", "list_emerging")
    assert (found["published"], found["reproduced"], found["status"], found["difference"]) == (
        "4", "3", "differs", "-1")
    assert ("states 4 Emerging Practice studies but its Emerging Practice reference list has 3 entries"
            in found["reason"])
    assert line(run(), "list_vs_table", "counts", "level_best", "list_best")["status"] == "match"


def test_list_vs_table_falls_back_to_the_first_table_and_levels_csv():
    counts = frame(["quantity", "value"], [["studies_included", "5"]])
    found = line(run(published(counts=counts)), "list_vs_table", "counts", "level_best", "list_best")
    assert (found["published"], found["reproduced"]) == ("1", "2")


@pytest.mark.parametrize("row, column, published_value, reproduced_value, status", [
    ("Medical", "Emerging Practice", "3", "2", "differs"),
    ("Medical", "Best Practice", "1", "1", "match"),
    ("Academia", "Emerging Practice", "1", "", "not_reproduced"),
    ("Academia", "Contraindicated Practice", "", "", "not_published"),
    ("Not reported", "Total", "", "2", "not_published"),
    ("Total", "Total", "6", "5", "differs"),
], ids=["differs", "match", "row-only-published", "empty-printed-cell", "row-only-reproduced", "grand-total"])
def test_table_cells(row, column, published_value, reproduced_value, status):
    found = line(run(), "table_cell", "table4_setting", row, column)
    assert (found["published"], found["reproduced"], found["status"]) == (published_value, reproduced_value, status)


@pytest.mark.parametrize("row, column, fragments", [
    ("Total", "Emerging Practice", ["reproduced from the extraction", "counts 5 studies, the report 6",
                                    "3 studies at Emerging Practice against the report's 4",
                                    "2 of 5 studies have setting not_reported", "the cell cannot be traced to studies"]),
    ("Not reported", "Best Practice", ["2 of 5 studies have setting not_reported in the extraction",
                                       "prints no such row"]),
    ("Academia", "Total", ["no included study has setting 'Academia'"]),
    ("Academia", "Contraindicated Practice", ["the printed cell is empty"]),
], ids=["cell-differs", "not-reported-row", "unreproduced-row", "empty-cell"])
def test_table_cell_automatic_reasons(row, column, fragments):
    reason = line(run(), "table_cell", "table4_setting", row, column)["reason"]
    for fragment in fragments:
        assert fragment in reason


def test_reason_from_reasons_csv_wins_and_matches_rows_case_insensitively_and_any_column():
    result = run()
    for column in ("Emerging Practice", "Total"):
        assert line(result, "table_cell", "table4_setting", "Medical", column)["reason"] == (
            "the report merged two settings into Medical")
    assert "reproduced from the extraction" in line(result, "table_cell", "table4_setting", "Total", "Total")["reason"]


@pytest.mark.parametrize("reasons_rows, row, column, expected", [
    ([["counts", "records_identified", "", "only included records were rebuilt"]],
     "records_identified", "", "only included records were rebuilt"),
    ([["table4_setting", "Medical", "Emerging Practice", "exact"], ["table4_setting", "Medical", "", "row"]],
     "Medical", "Emerging Practice", "exact"),
    ([["table4_setting", "", "Total", "any row"], ["table4_setting", "", "", "whole table"]],
     "Academia", "Total", "any row"),
    ([["table4_setting", "", "", "whole table"]], "Academia", "Best Practice", "whole table"),
    ([["table4_setting", "Medical", "", "one"], ["table4_setting", "medical", "", "two"]],
     "Medical", "Total", "one; two"),
], ids=["count", "exact-beats-row", "column-beats-table", "table-wide", "two-reasons-joined"])
def test_reason_lookup_precedence(reasons_rows, row, column, expected):
    reasons = frame(["table", "row", "column", "reason"], reasons_rows)
    result = run(published(reasons=reasons))
    kind, table = ("count", "counts") if row == "records_identified" else ("table_cell", "table4_setting")
    assert line(result, kind, table, row, column)["reason"] == expected


def test_unused_reason_is_logged(caplog):
    reasons = frame(["table", "row", "column", "reason"], [["table4_setting", "Nowhere", "", "stale"]])
    with caplog.at_level("WARNING", logger="pipeline.reconcile"):
        run(published(reasons=reasons))
    assert "data/raw/published/reasons.csv:2: the reason on this line explains no differing value" in caplog.text


@pytest.mark.parametrize("row, published_level, reproduced_level, status, fragment", [
    ("doi:10.1/a", "best", "best", "match", ""),
    ("pmid:22", "emerging", "emerging", "match", ""),
    ("doi:10.1/c", "best", "emerging", "differs",
     "study s3 (Cole 2013): rule 'design' gives Emerging Practice from {\"design\":\"opinion\"}; "
     "the report lists it under Best Practice"),
    ("doi:10.1/x", "emerging", "", "not_reproduced", "study x9, which is not among the included studies "
                                                     "(screening: excluded)"),
    ("doi:10.1/missing", "emerging", "", "not_reproduced",
     "levels.csv:6 (Yu 2009): no study in the screen stage's studies has this record key"),
    ("s5", "", "emerging", "not_published", "included study s5 (Eng 2015) is in none of the report's reference lists"),
], ids=["match", "second-record-key", "differs", "excluded-study", "unknown-key", "unlisted-study"])
def test_study_levels(row, published_level, reproduced_level, status, fragment):
    found = line(run(), "study_level", "levels", row, "level")
    assert (found["published"], found["reproduced"], found["status"]) == (published_level, reproduced_level, status)
    assert fragment in found["reason"]


def test_study_levels_without_studies_resolve_only_study_ids():
    levels = frame(["key", "level"], [["s1", "best"], ["doi:10.1/c", "best"]])
    result = run(published(levels=levels), studies=None)
    assert line(result, "study_level", "levels", "s1", "level")["status"] == "match"
    unresolved = line(result, "study_level", "levels", "doi:10.1/c", "level")
    assert unresolved["status"] == "not_reproduced"
    assert "no studies table was given to resolve record keys" in unresolved["reason"]
    assert not ((result["kind"] == "study_level") & (result["status"] == "not_published")).any()


def test_unclassified_study_is_not_reproduced():
    studied = classified()
    studied.loc[2, "evidence_level"] = ""
    studied["trail"] = ["", "", "no design extracted", "", ""]
    result = reconcile(published(), reproduced_tables(), PRISMA, studied, make_settings(), studies=studies())
    found = line(result, "study_level", "levels", "doi:10.1/c", "level")
    assert found["status"] == "not_reproduced"
    assert "study s3 (Cole 2013) has no evidence level: no design extracted" in found["reason"]


def test_table_without_published_file_gets_one_line():
    material = published()
    del material["table4_setting"]
    found = line(run(material), "table_cell", "table4_setting", "", "")
    assert found["status"] == "not_published"
    assert "data/raw/published/table4_setting.csv is absent" in found["reason"]


def test_published_table_without_reproduction_is_not_reproduced():
    extra = frame(["Country", "Best Practice", "Total"], [["USA", "1", "1"], ["Total", "1", "1"]])
    result = run(published(table3_country=extra))
    rows = result[result["table"] == "table3_country"]
    assert len(rows) == 4 and (rows["status"] == "not_reproduced").all()
    assert rows["reason"].str.contains("not configured under tables in config.yaml").all()


def test_reproduced_percentage_columns_are_left_out_but_unclassified_is_shown():
    tables = reproduced_tables()
    tables["table4_setting"] = tables["table4_setting"].assign(**{"Best Practice %": "20.0", "Unclassified": "0"})
    result = reconcile(published(), tables, PRISMA, classified(), make_settings(), studies=studies())
    cells = result[result["table"] == "table4_setting"]
    assert "Best Practice %" not in set(cells["column"])
    found = line(result, "table_cell", "table4_setting", "Total", "Unclassified")
    assert found["status"] == "not_published" and found["reason"] == "the report prints no column 'Unclassified'"


INTERVENTION_HEADER = ["Intervention", "Best Practice", "Emerging Practice", "Contraindicated Practice", "Total",
                       "Level of evidence", "Studies"]


def transcribed_from_text() -> pd.DataFrame:
    """Run reconcile with an intervention table whose published side holds only what a text states."""
    settings = make_settings()
    settings = dataclasses.replace(settings, tables=(
        *settings.tables, TableSpec("interventions", "Interventions", "intervention", "Intervention")))
    tables = reproduced_tables()
    tables["interventions"] = frame(INTERVENTION_HEADER, [
        ["coping", "1", "2", "0", "3", "Best Practice", "s1;s2;s3"],
        ["reiki", "0", "0", "1", "1", "Contraindicated Practice", "s4"],
        ["Total", "1", "3", "1", "5", "", ""],
    ])
    stated = frame(["Intervention", "Best Practice", "Emerging Practice", "Contraindicated Practice",
                    "Level of evidence"], [
        ["Coping", "1", "4", "", "best practice"],
        ["reiki", "", "", "1", "Emerging Practice"],
        ["job rotation", "", "", "", "Best Practice"],
    ])
    return reconcile(published(interventions=stated), tables, PRISMA, classified(), settings, studies=studies())


@pytest.mark.parametrize("row, column, published_value, reproduced_value, status, fragment", [
    ("Coping", "Best Practice", "1", "1", "match", ""),
    ("Coping", "Level of evidence", "best practice", "Best Practice", "match", ""),
    ("Coping", "Emerging Practice", "4", "2", "differs", "reproduced from the extraction"),
    ("Coping", "Contraindicated Practice", "", "0", "not_published", "the report's text states no value"),
    ("reiki", "Level of evidence", "Emerging Practice", "Contraindicated Practice", "differs", ""),
    ("Coping", "Total", "", "3", "not_published", "the report prints no column 'Total'"),
    ("Total", "Best Practice", "", "1", "not_published", "the report prints no row 'Total'"),
    ("job rotation", "Level of evidence", "Best Practice", "", "not_reproduced", "no included study"),
], ids=["count-match", "label-match-any-case", "count-differs", "unstated-cell", "label-differs", "no-total-column",
        "no-total-row", "unreproduced-row"])
def test_table_transcribed_from_text_without_totals(row, column, published_value, reproduced_value, status,
                                                    fragment):
    found = line(transcribed_from_text(), "table_cell", "interventions", row, column)
    assert (found["published"], found["reproduced"], found["status"]) == (published_value, reproduced_value, status)
    assert fragment in found["reason"]
    # with no printed totals there is no grand total to quote
    assert "None" not in found["reason"] and "the report 6" not in found["reason"]


def test_nothing_published_gives_no_rows_but_the_missing_tables():
    result = reconcile({}, reproduced_tables(), PRISMA, classified(), make_settings())
    assert result[["kind", "table", "status"]].to_numpy().tolist() == [
        ["table_cell", "table4_setting", "not_published"]]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("replace, message", [
    ({"counts": frame(["quantity", "amount"], [["studies_included", "5"]])},
     "data/raw/published/counts.csv:1: lacks column(s) value; the header must include: quantity, value"),
    ({"counts": frame(["quantity", "value"], [["level_best", "1"], ["level_best", "2"]])},
     "data/raw/published/counts.csv:3: quantity 'level_best' is given twice (first on line 2); "
     "keep one row per quantity"),
    ({"counts": frame(["quantity", "value"], [["studies_included", "5"], ["records_identified", "five hundred"]])},
     "data/raw/published/counts.csv:3: quantity 'records_identified' is 'five hundred', not a whole number; "
     "transcribe the number as printed"),
    ({"counts": frame(["quantity", "value"], [[" ", "1"]])},
     "data/raw/published/counts.csv:2: quantity is empty; name the quantity"),
    ({"levels": frame(["key", "level"], [["doi:10.1/a", "best"], ["doi:10.1/b", "top"]])},
     "data/raw/published/levels.csv:3: unknown level 'top'; use a level id from config.yaml hierarchy: "
     "best, emerging, contraindicated"),
    ({"levels": frame(["key", "level"], [["", "best"]])},
     "data/raw/published/levels.csv:2: key is empty; give the record_key of the listed study"),
    ({"reasons": frame(["table", "row", "column", "reason"], [["counts", "x", "", " "]])},
     "data/raw/published/reasons.csv:2: reason is empty; write why the published value cannot be reproduced"),
    ({"reasons": frame(["table", "row", "reason"], [])},
     "data/raw/published/reasons.csv:1: lacks column(s) column"),
    ({"table4_setting": frame(HEADER, [["Medical", "1", "0", "0", "1"], ["medical", "1", "0", "0", "1"]])},
     "data/raw/published/table4_setting.csv:3: row label 'medical' appears twice (first on line 2); "
     "give every printed row its own label"),
    ({"interventions": frame(["Intervention", "Best Practice", "Level of evidence"],
                             [["debriefing", "1", "Best Practice"], ["reiki", "one", "Best Practice"]])},
     "data/raw/published/interventions.csv:3: cell 'Best Practice' is 'one', not a whole number"),
], ids=["counts-column", "counts-duplicate", "counts-not-a-number", "counts-empty-quantity", "levels-unknown-level", "levels-empty-key",
        "reasons-empty", "reasons-column", "table-duplicate-row", "table-without-total-not-a-number"])
def test_published_material_errors(replace, message):
    with pytest.raises(PipelineError) as caught:
        run(published(**replace))
    assert message in str(caught.value)


def test_classified_without_levels_is_an_error():
    with pytest.raises(PipelineError, match="classified studies: classified studies lack column.s. evidence_level; "
                                            "run the classify stage before reconcile"):
        reconcile(published(), reproduced_tables(), PRISMA, classified().drop(columns="evidence_level"),
                  make_settings())


def test_studies_without_record_keys_is_an_error():
    with pytest.raises(PipelineError, match="studies \\(screen stage\\): studies lack the column 'study_id' or "
                                            "'record_keys'; pass the screen stage's studies.csv"):
        run(studies=studies().drop(columns="record_keys"))


# --- arithmetic ---------------------------------------------------------------------------------


ARITHMETIC_TABLE = frame(["Methodology", "Best Practice", "Emerging Practice", "Total"], [
    ["Opinion", "0", "30", "30"],
    ["Realist review", "26", "", "26"],
    ["Case study", "7", "1", "7"],
    ["Total", "33", "30", "62"],
])


def checked(result: pd.DataFrame, axis: str, label: str) -> dict[str, str]:
    found = result[(result["axis"] == axis) & (result["label"] == label)]
    assert len(found) == 1
    return found.iloc[0].to_dict()


def test_arithmetic_checks_every_row_and_column():
    result = arithmetic({"table2_methodology": ARITHMETIC_TABLE, "counts": frame(["quantity", "value"], [])})
    assert list(result.columns) == ARITHMETIC_COLUMNS
    assert len(result) == 4 + 3
    assert set(result["table"]) == {"table2_methodology"}


@pytest.mark.parametrize("axis, label, printed, added, difference, empty, status", [
    ("row", "Opinion", "30", "30", "0", "", "ok"),
    ("row", "Realist review", "26", "26", "0", "Emerging Practice", "empty_cell"),
    ("row", "Case study", "7", "8", "1", "", "mismatch"),
    ("row", "Total", "62", "63", "1", "", "mismatch"),
    ("column", "Best Practice", "33", "33", "0", "", "ok"),
    ("column", "Emerging Practice", "30", "31", "1", "Realist review", "mismatch"),
    ("column", "Total", "62", "63", "1", "", "mismatch"),
], ids=["row-ok", "row-empty-cell", "row-mismatch", "total-row", "column-ok", "column-mismatch-with-empty",
        "grand-total"])
def test_arithmetic_lines(axis, label, printed, added, difference, empty, status):
    found = checked(arithmetic({"t": ARITHMETIC_TABLE}), axis, label)
    assert (found["printed_total"], found["sum_of_cells"], found["difference"], found["empty_cells"],
            found["status"]) == (printed, added, difference, empty, status)


def test_arithmetic_empty_printed_total():
    table = frame(["Setting", "Best Practice", "Total"], [["Medical", "2", ""], ["Total", "2", "2"]])
    found = checked(arithmetic({"t": table}), "row", "Medical")
    assert (found["printed_total"], found["difference"], found["empty_cells"], found["status"]) == (
        "", "", "Total", "empty_cell")


def test_arithmetic_skips_a_table_without_printed_totals():
    stated = frame(["Intervention", "Best Practice", "Level of evidence"], [
        ["coping", "1", "Best Practice"], ["reiki", "", "Contraindicated Practice"]])
    result = arithmetic({"interventions": stated, "table2_methodology": ARITHMETIC_TABLE})
    assert list(result.columns) == ARITHMETIC_COLUMNS
    assert set(result["table"]) == {"table2_methodology"} and len(result) == 4 + 3
    assert arithmetic({"interventions": stated}).empty


@pytest.mark.parametrize("table, message", [
    (frame(["Setting", "Best Practice", "All"], [["Total", "1", "1"]]),
     "data/raw/published/t.csv:1: the header has 0 'Total' columns, expected one"),
    (frame(["Setting", "Best Practice", "Total"], [["Medical", "1", "1"]]),
     "data/raw/published/t.csv: the table has 0 'Total' rows, expected one; keep the printed Total row"),
    (frame(["Setting", "Best Practice", "Total"], [["Medical", "one", "1"], ["Total", "1", "1"]]),
     "data/raw/published/t.csv:2: cell 'Best Practice' is 'one', not a whole number"),
], ids=["no-total-column", "no-total-row", "not-a-number"])
def test_arithmetic_errors(table, message):
    with pytest.raises(PipelineError) as caught:
        arithmetic({"t": table})
    assert message in str(caught.value)


# --- reading it -------------------------------------------------------------------------------


def test_markdown_and_summary():
    result = run()
    checks = arithmetic({"table4_setting": published()["table4_setting"]})
    text = to_markdown(result, checks)
    counts = result["status"].value_counts()
    assert (f"{len(result)} values compared: {counts['match']} match, {counts['differs']} differ, "
            f"{counts['not_published']} not published, {counts['not_reproduced']} not reproduced.") in text
    for heading in ("## count (", "## list vs table (", "## study level (", "## table cell (",
                    "## Arithmetic of the published tables"):
        assert heading in text
    assert "the report merged two settings into Medical" in text
    assert "| table4_setting | row | Medical | 4 | 4 | 0 |" not in text  # ok lines are not listed
    assert "| table4_setting | column | Total | 6 | 5 | -1 |  | mismatch |" in text
    line_text = summary(result, checks)
    assert line_text.startswith(f"reconcile: {len(result)} compared; {counts['match']} match")
    assert "arithmetic: 7 totals checked, 2 mismatch, 1 with empty cells" in line_text
    assert "\n" not in line_text


def test_markdown_when_everything_matches():
    empty = pd.DataFrame(columns=RECONCILE_COLUMNS, dtype=str)
    text = to_markdown(empty, pd.DataFrame(columns=ARITHMETIC_COLUMNS, dtype=str))
    assert "Every published value is reproduced exactly." in text
    assert "No published table to check." in text
    checks = arithmetic({"t": frame(["Setting", "Best Practice", "Total"], [["Total", "0", "0"]])})
    assert "Every printed total equals the sum of its cells." in to_markdown(empty, checks)


def test_markdown_escapes_pipes():
    result = run(published(reasons=frame(["table", "row", "column", "reason"],
                                         [["counts", "records_identified", "", "a | b"]])))
    assert "a \\| b" in to_markdown(result, arithmetic({}))


def test_markdown_turns_repeated_reasons_into_numbered_notes():
    result = run()
    text = to_markdown(result, arithmetic({}))
    assert "| table4_setting | Medical | Emerging Practice | 3 | 2 | -1 | differs | see [2] |" in text
    assert "- [2] the report merged two settings into Medical" in text
    assert "- [1] no included study has setting 'Academia' in the extraction" in text
    assert text.count("the report merged two settings into Medical") == 1


def test_list_vs_table_joins_the_reasons_of_both_quantities():
    reasons = frame(["table", "row", "column", "reason"], [
        ["counts", "level_emerging", "", "the text says 4"], ["counts", "list_emerging", "", "the list has 3"]])
    found = line(run(published(reasons=reasons)), "list_vs_table", "counts", "level_emerging", "list_emerging")
    assert found["reason"] == "the text says 4; the list has 3"


PUBLISHED = Path(__file__).resolve().parents[2] / "data" / "raw" / "published"


def test_the_reports_own_arithmetic_slips_are_found_in_the_transcribed_tables():
    files = sorted(PUBLISHED.glob("table*.csv"))
    if not files:
        pytest.skip(f"no transcribed tables in {PUBLISHED}")
    result = arithmetic({path.stem: read_table(path) for path in files})
    slips = result[result["status"] != "ok"]
    found = {(t, axis, label, printed, added) for t, axis, label, printed, added in
             slips[["table", "axis", "label", "printed_total", "sum_of_cells"]].itertuples(index=False)}
    assert found == {
        ("table2_methodology", "row", "Realist review", "26", "26"),
        ("table2_methodology", "column", "Contraindicated Practice", "6", "6"),
        ("table3_country", "column", "Emerging Practice", "68", "67"),
        ("table3_country", "column", "Total", "127", "126"),
        ("table6_client", "row", "Trauma victims", "7", "8"),
        ("table6_client", "column", "Promising Practice", "44", "45"),
    }


def test_every_differing_cell_of_the_shipped_review_is_listed_with_a_reason():
    """Acceptance: each printed cell of Tables 2-6 is compared with the committed reproduction."""
    repo = PUBLISHED.parents[2]
    processed = repo / "data" / "processed"
    files = sorted(PUBLISHED.glob("table*.csv"))
    if not files or not (processed / "classify" / "studies.csv").is_file():
        pytest.skip(f"no transcribed tables in {PUBLISHED} or no committed outputs in {processed}")
    settings = config.load(repo / "config.yaml")
    published = {path.stem: read_table(path) for path in sorted(PUBLISHED.glob("*.csv"))}
    reproduced = {path.stem: read_table(processed / "tables" / path.name) for path in files}
    result = reconcile(published, reproduced, json.loads((processed / "prisma" / "counts.json").read_text()),
                       read_table(processed / "classify" / "studies.csv"), settings,
                       studies=read_table(processed / "screen" / "studies.csv"))
    listed = {(t, fold_label(r), fold_label(c)): (status, reason) for t, r, c, status, reason in
              result[result["kind"] == "table_cell"][["table", "row", "column", "status", "reason"]].itertuples(
                  index=False)}
    expected_differing = set()
    for path in files:
        table, again = published[path.stem], reproduced[path.stem]
        values = {(fold_label(label), fold_label(head)): value for label, *cells in again.itertuples(index=False)
                  for head, value in zip(again.columns[1:], cells)}
        for label, *cells in table.itertuples(index=False):
            for head, value in zip(table.columns[1:], cells):
                key = (fold_label(label), fold_label(head))
                if not value.strip() or values.get(key) is None or int(value) != int(values[key]):
                    expected_differing.add((path.stem, *key))
                else:
                    assert listed[(path.stem, *key)] == ("match", "")
    assert expected_differing, "the shipped review reproduces every printed cell; update this test"
    for key in expected_differing:
        status, reason = listed[key]
        assert status != "match" and reason, key


def test_sentences_follow_each_other_and_fragments_take_a_semicolon():
    assert _join_reasons(["A sentence.", "Another one."]) == "A sentence. Another one."
    assert _join_reasons(["one", "two", "Three."]) == "one; two; Three."


def test_markdown_counts_unpublished_cells_per_table_instead_of_listing_them():
    result = run()
    text = to_markdown(result, arithmetic({"table4_setting": published()["table4_setting"]}))
    unpublished = result[(result["status"] == "not_published") & (result["kind"] == "table_cell")]
    assert len(unpublished) > 0
    assert f"## table cells not published ({len(unpublished)})" in text
    assert "| not_published |" not in text.split("## table cells not published")[0].split("## table cell (")[-1]
