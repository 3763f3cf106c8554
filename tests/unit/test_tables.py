"""Unit tests for pipeline.tables: cross-tabulations and their Markdown, LaTeX and Excel renderings."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline import classify
from pipeline import columns as col
from pipeline import config
from pipeline import tables as tb
from pipeline.config import Design, Hierarchy, Level, TableSpec
from pipeline.io import read_table, write_table

REPO = Path(__file__).resolve().parents[2]
LEVEL_LABELS = ["Best Practice", "Promising Practice", "Emerging Practice", "Contraindicated Practice"]


def make_hierarchy() -> Hierarchy:
    return Hierarchy(
        levels=(Level("best", "Best Practice"), Level("promising", "Promising Practice"),
                Level("emerging", "Emerging Practice"), Level("contraindicated", "Contraindicated Practice")),
        designs=(Design("rct", "Randomized control trial", "best"), Design("case_study", "Case study", "promising"),
                 Design("opinion", "Opinion", "emerging"), Design("survey", "Cross-sectional survey", "emerging")),
        precedence=("override", "no_effect", "design"),
        no_effect_level="contraindicated",
    )


@pytest.fixture(scope="module")
def real_settings() -> config.Settings:
    return config.load(REPO / "config.yaml")


def make_classified(rows: list[tuple[str, str, str, str, list[str]]]) -> pd.DataFrame:
    """Classified studies from (evidence_level, design, country, effect, interventions)."""
    return pd.DataFrame({
        col.STUDY_ID: [f"s{n:02d}" for n in range(1, len(rows) + 1)],
        col.EVIDENCE_LEVEL: [r[0] for r in rows],
        col.DESIGN: [r[1] for r in rows],
        "country": [r[2] for r in rows],
        col.EFFECT: [r[3] for r in rows],
        "interventions": [json.dumps(sorted(r[4])) for r in rows],
    })


STUDIES = make_classified([
    ("best", "rct", "USA", "effective", ["debriefing", "psychoeducation"]),
    ("best", "rct", "Australia", "effective", ["psychoeducation"]),
    ("contraindicated", "rct", "USA", "no_effect", ["reiki"]),
    ("promising", "case_study", "USA", "effective", ["self_care", "psychoeducation"]),
    ("emerging", "opinion", "Israel", "mixed", []),
    ("emerging", "opinion", "not_reported", "not_reported", ["self_care"]),
    ("emerging", "survey", "", "effective", ["debriefing"]),
])


def spec_for(field: str, percentages: bool = False, label: str = "Label") -> TableSpec:
    return TableSpec(id=f"t_{field}", title=f"By {field}", field=field, label=label, percentages=percentages)


# --- crosstab ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["design", "country", "effect"])
def test_single_valued_totals_add_up(field):
    table = tb.crosstab(STUDIES, spec_for(field), make_hierarchy())
    body, total = table.iloc[:-1], table.iloc[-1]
    assert total["Label"] == "Total"
    assert (body[LEVEL_LABELS].sum(axis=1) == body["Total"]).all()
    assert body[[*LEVEL_LABELS, "Total"]].sum().tolist() == total[[*LEVEL_LABELS, "Total"]].tolist()
    assert total[[*LEVEL_LABELS, "Total"]].tolist() == [2, 1, 3, 1, 7]


def test_design_rows_cover_the_vocabulary_in_order():
    table = tb.crosstab(STUDIES, spec_for("design", label="Methodology"), make_hierarchy())
    assert list(table.columns) == ["Methodology", *LEVEL_LABELS, "Total"]
    assert table.values.tolist() == [
        ["Randomized control trial", 2, 0, 0, 1, 3],
        ["Opinion", 0, 0, 2, 0, 2],
        ["Case study", 0, 1, 0, 0, 1],
        ["Cross-sectional survey", 0, 0, 1, 0, 1],
        ["Total", 2, 1, 3, 1, 7],
    ]


def test_zero_rows_for_designs_without_studies():
    table = tb.crosstab(STUDIES.iloc[:1], spec_for("design"), make_hierarchy())
    assert table["Label"].tolist() == ["Randomized control trial", "Case study", "Cross-sectional survey",
                                       "Opinion", "Total"]
    assert table["Total"].tolist() == [1, 0, 0, 0, 1]


def test_empty_classified_gives_zero_table():
    table = tb.crosstab(STUDIES.iloc[:0], spec_for("design"), make_hierarchy())
    assert table.iloc[:, 1:].to_numpy().sum() == 0
    assert len(table) == 5


def test_not_reported_is_last_before_total_and_blank_counts_as_not_reported():
    table = tb.crosstab(STUDIES, spec_for("country"), make_hierarchy())
    assert table.values.tolist() == [
        ["USA", 1, 1, 0, 1, 3],
        ["Australia", 1, 0, 0, 0, 1],
        ["Israel", 0, 0, 1, 0, 1],
        ["Not reported", 0, 0, 2, 0, 2],
        ["Total", 2, 1, 3, 1, 7],
    ]


def test_effect_values_get_labels():
    table = tb.crosstab(STUDIES, spec_for("effect"), make_hierarchy())
    assert table["Label"].tolist() == ["Effective", "Mixed", "No effect", "Not reported", "Total"]


def test_intervention_counts_each_value_and_total_counts_distinct_studies():
    table = tb.crosstab(STUDIES, spec_for("intervention"), make_hierarchy())
    assert list(table.columns) == ["Label", *LEVEL_LABELS, "Total", "Level of evidence", "Studies"]
    assert table.values.tolist() == [
        ["psychoeducation", 2, 1, 0, 0, 3, "Best Practice", "s01;s02;s04"],
        ["debriefing", 1, 0, 1, 0, 2, "Best Practice", "s01;s07"],
        ["self_care", 0, 1, 1, 0, 2, "Promising Practice", "s04;s06"],
        ["reiki", 0, 0, 0, 1, 1, "Contraindicated Practice", "s03"],
        ["Not reported", 0, 0, 1, 0, 1, "", "s05"],
        ["Total", 2, 1, 3, 1, 7, "", ""],
    ]
    body = table.iloc[:-1]
    assert (body[LEVEL_LABELS].sum(axis=1) == body["Total"]).all()
    assert body[LEVEL_LABELS].to_numpy().sum() > table["Total"].iloc[-1]


@pytest.mark.parametrize("levels, placed", [
    (["contraindicated"], "Contraindicated Practice"),
    (["contraindicated", "emerging"], "Emerging Practice"),
    (["emerging", "contraindicated", "promising"], "Promising Practice"),
    (["contraindicated", "best", "emerging"], "Best Practice"),
    (["", "contraindicated"], "Contraindicated Practice"),
    ([""], "Unclassified"),
], ids=["only-no-effect", "emerging-beats", "promising-beats", "best-beats", "unclassified-ignored",
        "only-unclassified"])
def test_intervention_is_contraindicated_only_without_higher_support(levels, placed):
    rows = [(level, "rct", "USA", "effective", ["reiki"]) for level in levels]
    table = tb.crosstab(make_classified(rows), spec_for("intervention"), make_hierarchy())
    assert table.loc[table["Label"] == "reiki", "Level of evidence"].tolist() == [placed]
    assert table.loc[table["Label"] == "reiki", "Studies"].tolist() == [
        ";".join(f"s{n:02d}" for n in range(1, len(levels) + 1))]


def test_intervention_rows_follow_their_level_then_total():
    rows = [("emerging", "opinion", "USA", "effective", ["b_often"]), ("emerging", "opinion", "USA", "", ["b_often"]),
            ("emerging", "opinion", "USA", "", ["b_often"]), ("best", "rct", "USA", "", ["z_best"]),
            ("promising", "case_study", "USA", "", ["a_promising"]), ("emerging", "opinion", "USA", "", ["a_once"])]
    table = tb.crosstab(make_classified(rows), spec_for("intervention"), make_hierarchy())
    assert table["Label"].tolist() == ["z_best", "a_promising", "b_often", "a_once", "Total"]


@pytest.mark.parametrize("field", ["intervention", "country", "design"])
def test_no_included_study_gives_a_table_with_only_zeros(field):
    """Before any study is included (screening not started) every table still builds."""
    table = tb.crosstab(make_classified([]), spec_for(field), make_hierarchy())
    assert table["Label"].tolist()[-1] == "Total"
    assert table[[*LEVEL_LABELS, "Total"]].to_numpy().sum() == 0


def test_intervention_placement_agrees_with_classify(real_settings):
    studies = make_classified([("best", "rct", "USA", "", ["debriefing", "reiki"]),
                               ("contraindicated", "rct", "USA", "no_effect", ["reiki", "self_care"]),
                               ("emerging", "opinion", "USA", "", ["self_care", "app"]),
                               ("contraindicated", "rct", "USA", "no_effect", ["app", "gone"])])
    hierarchy = real_settings.hierarchy
    table = tb.crosstab(studies, spec_for("intervention"), hierarchy)
    ranked = classify.rank_interventions(studies, hierarchy)
    labels = {level.id: level.label for level in hierarchy.levels}
    body = table.iloc[:-1]
    assert dict(zip(body["Label"], body["Level of evidence"])) == {
        name: labels[level] for name, level in zip(ranked["intervention"], ranked["evidence_level"])}
    assert dict(zip(body["Label"], body["Studies"])) == dict(zip(ranked["intervention"], ranked["study_ids"]))


def test_unclassified_studies_get_their_own_column():
    classified = make_classified([("best", "rct", "USA", "effective", []), ("", "", "USA", "mixed", [])])
    table = tb.crosstab(classified, spec_for("country"), make_hierarchy())
    assert list(table.columns) == ["Label", *LEVEL_LABELS, "Unclassified", "Total"]
    assert table.values.tolist() == [["USA", 1, 0, 0, 0, 1, 2], ["Total", 1, 0, 0, 0, 1, 2]]


@pytest.mark.parametrize("spec, heading", [
    (TableSpec("t", "Country of Study", "country", "Country"), "Country"),
    (TableSpec("t", "Country of Study", "country"), "Country of Study"),
], ids=["label", "title-when-no-label"])
def test_first_column_heading(spec, heading):
    assert tb.crosstab(STUDIES, spec, make_hierarchy()).columns[0] == heading


def test_percentages_are_column_shares_rounded_half_up():
    rows = [("best", "rct", "USA", "effective", [])] * 1 + [("best", "rct", "Kenya", "effective", [])] * 7
    rows += [("emerging", "opinion", "USA", "effective", [])] * 3
    table = tb.crosstab(make_classified(rows), spec_for("country", percentages=True), make_hierarchy())
    assert list(table.columns) == ["Label", "Best Practice", "Best Practice %", "Promising Practice",
                                   "Promising Practice %", "Emerging Practice", "Emerging Practice %",
                                   "Contraindicated Practice", "Contraindicated Practice %", "Total"]
    assert table.values.tolist() == [
        ["Kenya", 7, 87.5, 0, 0.0, 0, 0.0, 0, 0.0, 7],
        ["USA", 1, 12.5, 0, 0.0, 3, 100.0, 0, 0.0, 4],
        ["Total", 8, 100.0, 0, 0.0, 3, 100.0, 0, 0.0, 11],
    ]


@pytest.mark.parametrize("count, total, share", [(1, 3, 33.3), (2, 3, 66.7), (1, 16, 6.3), (1, 8, 12.5),
                                                 (0, 0, 0.0), (5, 5, 100.0)])
def test_percent_rounding(count, total, share):
    assert tb._percent(count, total) == share


def test_real_config_table_matches_the_published_layout(real_settings):
    spec = real_settings.tables[0]
    classified = make_classified([("best", "rct", "USA", "effective", []),
                                  ("contraindicated", "rct", "USA", "no_effect", [])])
    table = tb.crosstab(classified, spec, real_settings.hierarchy)
    assert list(table.columns) == ["Methodology", "Best Practice", "Promising Practice", "Emerging Practice",
                                   "Contraindicated Practice", "Total"]
    assert table.iloc[0].tolist() == ["Randomized control trial", 1, 0, 0, 1, 2]
    assert len(table) == len(real_settings.hierarchy.designs) + 1


def test_crosstab_reads_the_classified_csv_back(tmp_path):
    path = tmp_path / "studies.csv"
    write_table(STUDIES, path)
    again = read_table(path)
    for field in ("design", "country", "intervention"):
        pd.testing.assert_frame_equal(tb.crosstab(again, spec_for(field), make_hierarchy()),
                                      tb.crosstab(STUDIES, spec_for(field), make_hierarchy()))


def test_crosstab_ignores_row_order():
    shuffled = STUDIES.iloc[[6, 2, 0, 5, 1, 4, 3]]
    for field in ("design", "country", "intervention"):
        pd.testing.assert_frame_equal(tb.crosstab(shuffled, spec_for(field), make_hierarchy()),
                                      tb.crosstab(STUDIES, spec_for(field), make_hierarchy()))


# --- rendering ----------------------------------------------------------------------------------

SMALL = pd.DataFrame({"Country": ["USA", "A|B", "Total"], "Best": [2, 1, 3], "Best %": [66.7, 33.3, 100.0],
                      "Total": [2, 1, 3]})
SMALL_SPEC = TableSpec("t_small", "Country of Study", "country", "Country", True)


def test_markdown_exact():
    assert tb.to_markdown(SMALL, SMALL_SPEC, footnote="Source: extraction.csv") == (
        "Table: Country of Study\n"
        "\n"
        "| Country | Best | Best % | Total |\n"
        "| :--- | ---: | ---: | ---: |\n"
        "| USA | 2 | 66.7 | 2 |\n"
        "| A\\|B | 1 | 33.3 | 1 |\n"
        "| Total | 3 | 100.0 | 3 |\n"
        "\n"
        "Source: extraction.csv\n"
    )


def test_markdown_states_the_multi_valued_total():
    table = tb.crosstab(STUDIES, spec_for("intervention"), make_hierarchy())
    text = tb.to_markdown(table, spec_for("intervention"))
    assert text.endswith("\n\n" + tb.MULTI_VALUED_NOTE + "\n")
    assert "A study counts once per intervention; Total counts distinct studies" in tb.MULTI_VALUED_NOTE
    assert "| psychoeducation | 2 | 1 | 0 | 0 | 3 | Best Practice | s01;s02;s04 |" in text
    assert "| :--- | ---: | ---: | ---: | ---: | ---: | :--- | :--- |" in text
    assert tb.MULTI_VALUED_NOTE not in tb.to_markdown(table, spec_for("country"))


def test_latex_aligns_text_left_and_states_the_multi_valued_total():
    table = tb.crosstab(STUDIES, spec_for("intervention"), make_hierarchy())
    text = tb.to_latex(table, spec_for("intervention"))
    assert "\\begin{tabular}{lrrrrrll}" in text
    assert text.endswith("\\end{tabular}\n\\par\\smallskip\\noindent{\\footnotesize "
                         + tb.latex_escape(tb.MULTI_VALUED_NOTE) + "}\n")
    assert "footnotesize" not in tb.to_latex(tb.crosstab(STUDIES, spec_for("country"), make_hierarchy()),
                                             spec_for("country"))


def test_latex_exact():
    table = pd.DataFrame({"Setting": ["R&D_lab 50%", "Total"], "Best #": [1, 1], "Total": [1, 1]})
    spec = TableSpec("t", "Practice Setting", "setting", "Setting")
    assert tb.to_latex(table, spec) == (
        "% Table: Practice Setting\n"
        "\\begin{tabular}{lrr}\n"
        "\\hline\n"
        "Setting & Best \\# & Total \\\\\n"
        "\\hline\n"
        "R\\&D\\_lab 50\\% & 1 & 1 \\\\\n"
        "\\hline\n"
        "Total & 1 & 1 \\\\\n"
        "\\hline\n"
        "\\end{tabular}\n"
    )


@pytest.mark.parametrize("text, escaped", [
    ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}"),
    ("~", r"\textasciitilde{}"), ("^", r"\textasciicircum{}"), ("\\", r"\textbackslash{}"),
    ("a\\b{c}", r"a\textbackslash{}b\{c\}"), ("plain", "plain"),
], ids=["amp", "percent", "dollar", "hash", "underscore", "lbrace", "rbrace", "tilde", "caret", "backslash",
        "mixed", "plain"])
def test_latex_escape(text, escaped):
    assert tb.latex_escape(text) == escaped


# --- Excel --------------------------------------------------------------------------------------


def _xlsx_tables() -> list[tuple[TableSpec, pd.DataFrame]]:
    risky = make_classified([("best", "rct", "=HYPERLINK(\"x\")", "effective", ["+1", "-x", "@sum", "ok"])])
    return [(spec_for("country", percentages=True), tb.crosstab(risky, spec_for("country", True), make_hierarchy())),
            (spec_for("intervention"), tb.crosstab(risky, spec_for("intervention"), make_hierarchy()))]


def test_xlsx_bytes_are_identical_across_calls_and_clocks(monkeypatch):
    first = tb.to_xlsx_bytes(_xlsx_tables())
    monkeypatch.setattr(time, "time", lambda: 1_900_000_000.0)
    second = tb.to_xlsx_bytes(_xlsx_tables())
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    workbook = openpyxl.load_workbook(io.BytesIO(first))
    assert workbook.properties.created.year == 2000 and workbook.properties.modified.year == 2000


def test_xlsx_sheets_hold_title_header_and_safe_cells():
    workbook = openpyxl.load_workbook(io.BytesIO(tb.to_xlsx_bytes(_xlsx_tables())))
    assert workbook.sheetnames == ["t_country", "t_intervention"]
    country = [[cell.value for cell in row] for row in workbook["t_country"].iter_rows()]
    assert country[0][0] == "By country"
    assert country[1][:3] == ["Label", "Best Practice", "Best Practice %"]
    assert country[2][:3] == ["=HYPERLINK(\"x\")", 1, 100]
    assert workbook["t_country"]["A3"].quotePrefix and workbook["t_country"]["A3"].data_type == "s"
    assert all(cell.data_type != "f" for row in workbook["t_country"].iter_rows() for cell in row)
    labels = [row[0] for row in [[c.value for c in r] for r in workbook["t_intervention"].iter_rows()]][2:]
    assert labels == ["+1", "-x", "@sum", "ok", "Total", None, tb.MULTI_VALUED_NOTE]
    assert [workbook["t_intervention"][f"A{row}"].quotePrefix for row in range(3, 7)] == [True, True, True, False]


def test_xlsx_sheet_names_are_unique_and_short():
    long_id = "table_" + "x" * 40
    table = tb.crosstab(STUDIES, spec_for("country"), make_hierarchy())
    specs = [TableSpec(long_id, "A", "country"), TableSpec(long_id, "B", "country")]
    workbook = openpyxl.load_workbook(io.BytesIO(tb.to_xlsx_bytes([(s, table) for s in specs])))
    assert workbook.sheetnames == [long_id[:31], long_id[:29] + "_2"]


def test_summary_tables():
    built = [(spec_for("design"), tb.crosstab(STUDIES, spec_for("design"), make_hierarchy())),
             (spec_for("country"), tb.crosstab(STUDIES, spec_for("country"), make_hierarchy()))]
    assert tb.summary_tables(built) == "tables: 2 tables of 7 studies: t_design (4 rows), t_country (4 rows)"
    assert tb.summary_tables([]) == "tables: no tables configured"


def test_markdown_cells_render_as_their_text():
    """A value that looks like HTML or breaks a pipe table stays text in any Markdown renderer."""
    spec = spec_for("country")
    table = pd.DataFrame({"Country": ["<img src=x onerror=alert(1)>", "a|b"], "Best Practice": [1, 1]})
    text = tb.to_markdown(table, spec)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "a\\|b" in text
