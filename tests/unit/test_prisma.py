"""Unit tests for pipeline.prisma: counts, checks, the PRISMA2020 template, the diagram and saving."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyBboxPatch

from pipeline import figures, prisma
from pipeline.columns import (DEDUP_COLUMNS, PRISMA_BOX, RECORD_COLUMNS, RECORD_ID, SCREEN_COLUMNS,
                              SCREEN_DECISION, SCREEN_REASON, SOURCE, STUDY_ID, PrismaBox)
from pipeline.config import Criterion, Hierarchy, SearchSettings, Settings, Source
from pipeline.errors import CheckError, ConfigError

ALL_COLUMNS = RECORD_COLUMNS + DEDUP_COLUMNS + SCREEN_COLUMNS


def make_settings(*, other_methods: bool = True) -> Settings:
    sources = [
        Source(id="alpha", name="Alpha DB", path="alpha.ris"),
        Source(id="beta", name="Beta, Index", path="beta.ris"),
        Source(id="gamma", name="Gamma", path="gamma.ris"),
    ]
    if other_methods:
        sources += [
            Source(id="web", name="Web search", path="web.csv", other_method="website"),
            Source(id="org", name="Charities", path="org.csv", other_method="organisation"),
            Source(id="cite", name="Reference lists", path="cite.csv", other_method="citation"),
        ]
    return Settings(
        review_id="test", title="Test review", search=SearchSettings(string="x"), sources=tuple(sources),
        criteria=(
            Criterion(id="old", label="Published before 2000", kind="exclusion", stage="automation"),
            Criterion(id="withdrawn", label="Withdrawn; retracted", kind="exclusion", stage="automation"),
            Criterion(id="ta_pop", label="Wrong population", kind="exclusion", stage="title_abstract"),
            Criterion(id="nr_book", label="Book not online", kind="exclusion", stage="retrieval"),
            Criterion(id="ft_design", label="Wrong design, e.g. no comparison", kind="exclusion",
                      stage="full_text"),
        ),
        hierarchy=Hierarchy(levels=(), designs=(), precedence=()),
    )


# (source, box, reason, study ids): one row per record
RECORDS = [
    ("alpha", "duplicate", "", ["d1", "d2", "d3"]),
    ("alpha", "automation", "old", ["a1", "a2"]),
    ("alpha", "other_removed", "withdrawn", ["o1"]),
    ("alpha", "ta_excluded", "ta_pop", ["t1", "t2", "t3", "t4"]),
    ("alpha", "not_retrieved", "nr_book", ["n1"]),
    ("alpha", "ft_excluded", "ft_design", ["f1", "f2"]),
    ("alpha", "included", "", ["s1", "s1", "s2"]),
    ("alpha", "pending_title_abstract", "", ["p1"]),
    ("alpha", "pending_full_text", "", ["p2"]),
    ("beta", "duplicate", "", ["d4"]),
    ("beta", "ta_excluded", "ta_pop", ["t5"]),
    ("beta", "included", "", ["s3"]),
    ("beta", "ft_excluded", "", ["f3"]),
    ("web", "duplicate", "", ["d5"]),
    ("web", "included", "", ["s4"]),
    ("web", "ft_excluded", "ft_design", ["f4"]),
    ("org", "not_retrieved", "nr_book", ["n2"]),
    ("cite", "ta_excluded", "ta_pop", ["t6"]),
    ("cite", "pending_full_text", "", ["p3"]),
    ("stray", "included", "", ["s2"]),
]

EXPECTED = {
    "boxes": {"automation": 2, "duplicate": 5, "ft_excluded": 4, "included": 6, "not_retrieved": 2,
              "other_removed": 1, "pending_full_text": 2, "pending_title_abstract": 1, "previous_review": 0,
              "ta_excluded": 6},
    "boxes_other_methods": {"automation": 0, "duplicate": 1, "ft_excluded": 1, "included": 1, "not_retrieved": 1,
                            "other_removed": 0, "pending_full_text": 1, "pending_title_abstract": 0,
                            "previous_review": 0, "ta_excluded": 1},
    "eligibility": {
        "assessed": 12, "excluded": 4, "excluded_by_reason": {"": 1, "ft_design": 3}, "pending": 2,
        "dbr_assessed": 9, "dbr_excluded": 3, "dbr_excluded_by_reason": {"": 1, "ft_design": 2},
        "other_assessed": 3, "other_excluded": 1, "other_excluded_by_reason": {"ft_design": 1},
    },
    "identification": {
        "databases": {"Alpha DB": 18, "Beta, Index": 4, "Gamma": 0, "stray": 1},
        "databases_total": 23,
        "other_methods": {"citation": 2, "organisation": 1, "website": 3},
        "other_total": 6,
    },
    "included": {"reports": 6, "studies": 4},
    "previous": {"records": 0, "reports": 0, "studies": 0},
    "records_total": 29,
    "removed_before_screening": {"automation": 2, "automation_by_reason": {"old": 2}, "duplicates": 5,
                                 "other": 1, "other_by_reason": {"withdrawn": 1}},
    "retrieval": {
        "sought": 14, "not_retrieved": 2, "not_retrieved_by_reason": {"nr_book": 2},
        "dbr_sought": 10, "dbr_not_retrieved": 1, "dbr_not_retrieved_by_reason": {"nr_book": 1},
        "other_sought": 4, "other_not_retrieved": 1, "other_not_retrieved_by_reason": {"nr_book": 1},
    },
    "screening": {"excluded": 6, "excluded_by_reason": {"ta_pop": 6}, "pending": 1, "screened": 21},
    "total": {"reports": 6, "studies": 4},
}


def make_records(spec=RECORDS, decisions: dict[str, str] | None = None) -> pd.DataFrame:
    """One record per study id listed; ``decisions`` gives the screen_decision of a box (default "")."""
    rows = []
    for source, box, reason, studies in spec:
        for study in studies:
            rows.append({column: "" for column in ALL_COLUMNS} | {
                RECORD_ID: f"{source}:{len(rows) + 1}", SOURCE: source, PRISMA_BOX: box, SCREEN_REASON: reason,
                STUDY_ID: study, SCREEN_DECISION: (decisions or {}).get(box, "")})
    return pd.DataFrame(rows, columns=ALL_COLUMNS, dtype=str)


@pytest.fixture(name="records")
def fixture_records() -> pd.DataFrame:
    return make_records()


@pytest.fixture(name="counts")
def fixture_counts(records) -> dict:
    return prisma.count(records, make_settings())


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


# --- count ---------------------------------------------------------------------------------


def test_count_gives_every_number_of_the_flow(counts):
    assert counts == EXPECTED


def test_count_keys_are_sorted_and_values_plain_ints(counts):
    def walk(value):
        if isinstance(value, dict):
            assert list(value) == sorted(value)
            for item in value.values():
                walk(item)
        else:
            assert type(value) is int

    walk(counts)


def test_boxes_list_every_prisma_box_even_when_empty():
    counts = prisma.count(make_records([("alpha", "included", "", ["s1"])]), make_settings())
    assert set(counts["boxes"]) == {box.value for box in PrismaBox}
    assert counts["boxes"]["duplicate"] == 0
    prisma.check(counts)


def test_count_of_no_records_is_all_zeros_and_adds_up():
    counts = prisma.count(make_records([]), make_settings())
    assert counts["records_total"] == 0
    assert counts["identification"]["databases"] == {"Alpha DB": 0, "Beta, Index": 0, "Gamma": 0}
    assert sum(counts["boxes"].values()) == 0
    prisma.check(counts)


def test_count_ignores_row_order_and_leaves_input_alone(records):
    before = records.copy()
    shuffled = records.sample(frac=1.0, random_state=7)
    assert prisma.count(shuffled, make_settings()) == prisma.count(records, make_settings())
    pd.testing.assert_frame_equal(records, before)


def test_count_needs_the_status_columns(records):
    with pytest.raises(CheckError) as error:
        prisma.count(records.drop(columns=[PRISMA_BOX, STUDY_ID]), make_settings())
    assert str(error.value) == ("prisma input: screened records lack column(s) prisma_box, study_id; "
                                "run the screen stage first; its output has every column prisma needs")


def test_count_rejects_a_record_outside_every_box(records):
    records = records.copy()
    records.loc[[2, 5], PRISMA_BOX] = ["excluded", "maybe"]
    with pytest.raises(CheckError) as error:
        prisma.count(records, make_settings())
    assert str(error.value) == (
        "record alpha:3: record has prisma_box 'excluded' (and 1 more); every record needs one of: duplicate, "
        "automation, other_removed, ta_excluded, not_retrieved, ft_excluded, included, pending_title_abstract, "
        "pending_full_text, previous_review; rerun the screen stage")


@hypothesis_settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alpha", "beta", "web", "cite", "elsewhere"]),
                          st.sampled_from([box.value for box in PrismaBox]),
                          st.sampled_from(["", "old", "ta_pop", "ft_design"]),
                          st.sampled_from(["s1", "s2", "s3"])), max_size=40))
def test_any_assignment_of_records_to_boxes_adds_up(rows):
    records = make_records([(source, box, reason, [study]) for source, box, reason, study in rows])
    counts = prisma.count(records, make_settings())
    prisma.check(counts)
    assert counts["records_total"] == len(rows)


# --- check ---------------------------------------------------------------------------------


def changed(counts: dict, path: str, value) -> dict:
    result = copy.deepcopy(counts)
    *parents, last = path.split(".")
    target = result
    for key in parents:
        target = target[key]
    target[last] = value
    return result


CHECK_CASES = [
    ("removed_before_screening.duplicates", 6,
     "identified 29 != duplicates 6 + automation 2 + other 1 + screened 21 (= 30)"),
    ("screening.pending", 2, "screened 21 != excluded 6 + sought 14 + pending 2 (= 22)"),
    ("retrieval.not_retrieved", 3, "sought 14 != not retrieved 3 + assessed 12 (= 15)"),
    ("eligibility.pending", 3, "assessed 12 != excluded with reasons 4 + included reports 6 + pending 3 (= 13)"),
    ("records_total", 30,
     "records_total 30 != box automation 2 + box duplicate 5 + box ft_excluded 4 + box included 6 + "
     "box not_retrieved 2 + box other_removed 1 + box pending_full_text 2 + box pending_title_abstract 1 + "
     "box previous_review 0 + box ta_excluded 6 (= 29)"),
    ("records_total", 30, "records_total 30 != databases identified 23 + other methods identified 6 + "
     "previous version records 0 (= 29)"),
    ("identification.databases.Gamma", 2,
     "databases identified 23 != database Alpha DB 18 + database Beta, Index 4 + database Gamma 2 + "
     "database stray 1 (= 25)"),
    ("identification.other_methods.website", 4,
     "other methods identified 6 != citation 2 + organisation 1 + website 4 (= 7)"),
    ("boxes_other_methods.duplicate", 0,
     "other methods identified 6 != other-methods box automation 0 + other-methods box duplicate 0"),
    ("boxes.duplicate", 4, "duplicates 5 != box duplicate 4"),
    ("boxes.ta_excluded", 7, "screened 21 != box ta_excluded 7 + box pending_title_abstract 1 + "
     "box not_retrieved 2 + box ft_excluded 4 + box included 6 + box pending_full_text 2 (= 22)"),
    ("boxes.included", 5, "included reports 6 != box included 5"),
    ("removed_before_screening.automation_by_reason", {"old": 1}, "automation 2 != reason old 1"),
    ("removed_before_screening.other_by_reason", {}, "other removed 1 != nothing listed (= 0)"),
    ("screening.excluded_by_reason", {"ta_pop": 5, "x": 2}, "records excluded 6 != reason ta_pop 5 + reason x 2 (= 7)"),
    ("retrieval.not_retrieved_by_reason", {"nr_book": 1}, "not retrieved 2 != reason nr_book 1"),
    ("eligibility.excluded_by_reason", {"": 2, "ft_design": 3},
     "reports excluded 4 != reason (none) 2 + reason ft_design 3 (= 5)"),
    ("retrieval.dbr_not_retrieved_by_reason", {}, "dbr_not_retrieved 1 != nothing listed (= 0)"),
    ("retrieval.other_not_retrieved_by_reason", {"nr_book": 2}, "other_not_retrieved 1 != reason nr_book 2"),
    ("eligibility.dbr_excluded_by_reason", {"ft_design": 2}, "dbr_excluded 3 != reason ft_design 2"),
    ("eligibility.other_excluded_by_reason", {}, "other_excluded 1 != nothing listed (= 0)"),
    ("retrieval.dbr_sought", 9, "sought 14 != dbr_sought 9 + other_sought 4 (= 13)"),
    ("retrieval.dbr_not_retrieved", 2, "not retrieved 2 != dbr_not_retrieved 2 + other_not_retrieved 1 (= 3)"),
    ("eligibility.other_assessed", 2, "assessed 12 != dbr_assessed 9 + other_assessed 2 (= 11)"),
    ("eligibility.dbr_excluded", 2, "reports excluded 4 != dbr_excluded 2 + other_excluded 1 (= 3)"),
    ("retrieval.other_sought", 5, "other_sought 5 != box not_retrieved 1 + box ft_excluded 1 + box included 1 + "
     "box pending_full_text 1 (= 4)"),
    ("eligibility.other_assessed", 4, "other_assessed 4 != box ft_excluded 1 + box included 1 + "
     "box pending_full_text 1 (= 3)"),
    ("included.studies", 7, "included studies 7 do not fit included reports 6"),
    ("included.studies", 0, "included studies 0 do not fit included reports 6"),
    ("total.studies", 5, "total studies 5 != previous studies 0 + new studies 4"),
    ("total.reports", 7, "total reports 7 != previous reports 0 + new reports 6"),
    ("previous.records", 2, "previous version records 2 != box previous_review 0"),
    ("previous.reports", 1, "previous studies 0 do not fit previous reports 1"),
]


@pytest.mark.parametrize("path, value, message", CHECK_CASES,
                         ids=[f"{case[0]}={case[1]}" for case in CHECK_CASES])
def test_check_names_the_numbers_that_disagree(counts, path, value, message):
    with pytest.raises(CheckError) as error:
        prisma.check(changed(counts, path, value))
    text = str(error.value)
    assert text.startswith("prisma counts: PRISMA boxes do not add up: ")
    assert message in text
    assert text.endswith("; each record must sit in exactly one prisma_box; rerun screen and prisma rather than "
                         "editing counts by hand")


def test_check_reads_the_example_message_for_a_single_broken_identity():
    spec = [("alpha", "duplicate", "", ["d"] * 120), ("alpha", "automation", "old", ["a"] * 5),
            ("alpha", "included", "", [f"s{i}" for i in range(400)])]
    counts = prisma.count(make_records(spec), make_settings())
    broken = changed(counts, "identification.databases_total", 537)
    broken = changed(broken, "identification.databases.Alpha DB", 537)
    broken = changed(broken, "records_total", 537)
    with pytest.raises(CheckError) as error:
        prisma.check(broken)
    assert "PRISMA boxes do not add up: identified 537 != duplicates 120 + automation 5 + other 0 + screened 400 " \
           "(= 525)" in str(error.value)


def test_check_passes_on_counted_records(counts):
    prisma.check(counts)  # raises CheckError when a box does not add up
    assert counts["records_total"] == sum(counts["boxes"].values())


def test_check_reports_a_missing_number(counts):
    broken = copy.deepcopy(counts)
    del broken["screening"]["screened"]
    with pytest.raises(CheckError) as error:
        prisma.check(broken)
    assert str(error.value) == ("prisma counts: PRISMA counts lack 'screening.screened'; produce the counts with "
                                "pipeline.prisma.count")


# --- template ------------------------------------------------------------------------------

TEMPLATE_DATA = [
    "NA", "previous_studies", "previous_reports", "NA", "database_results", "database_specific_results",
    "register_results", "register_specific_results", "NA", "website_results", "organisation_results",
    "citations_results", "duplicates", "excluded_automatic", "excluded_other", "records_screened",
    "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports", "other_sought_reports",
    "other_notretrieved_reports", "dbr_assessed", "dbr_excluded", "other_assessed", "other_excluded",
    "new_studies", "new_reports", "total_studies", "total_reports", "identification", "screening", "included",
]


def test_template_has_the_package_columns_and_field_order(counts):
    table = prisma.template(counts, make_settings())
    assert list(table.columns) == ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]
    assert list(table["data"]) == TEMPLATE_DATA
    assert list(table["node"][:6]) == ["node4", "node5", "NA", "node6", "node7", "NA"]
    assert list(table["box"][-3:]) == ["identification", "screening", "included"]
    assert all(table[column].map(type).eq(str).all() for column in table.columns)
    assert (table["boxtext"] != "").all()


TEMPLATE_VALUES = [
    ("previous_studies", "0"), ("database_results", "23"),
    ("database_specific_results", "Alpha DB, 18; Beta / Index, 4; Gamma, 0; stray, 1"),
    ("register_results", "0"), ("register_specific_results", "0"),
    ("website_results", "3"), ("organisation_results", "1"), ("citations_results", "2"),
    ("duplicates", "5"), ("excluded_automatic", "2"), ("excluded_other", "1"),
    ("records_screened", "21"), ("records_excluded", "6"),
    ("dbr_sought_reports", "10"), ("dbr_notretrieved_reports", "1"),
    ("other_sought_reports", "4"), ("other_notretrieved_reports", "1"),
    ("dbr_assessed", "9"), ("dbr_excluded", "Wrong design / e.g. no comparison, 2; Reason not recorded, 1"),
    ("other_assessed", "3"), ("other_excluded", "Wrong design / e.g. no comparison, 1"),
    ("new_studies", "4"), ("new_reports", "6"), ("total_studies", "4"), ("total_reports", "6"),
    ("identification", ""),
]


@pytest.mark.parametrize("field, n", TEMPLATE_VALUES, ids=[field for field, _ in TEMPLATE_VALUES])
def test_template_values(counts, field, n):
    table = prisma.template(counts, make_settings())
    assert table.loc[table["data"] == field, "n"].tolist() == [n]


def read_like_the_r_package(cell: str) -> list[tuple[str, int]]:
    """Split the way PRISMA_parse_reasons_ does: on ';', name up to the first comma, digits after it."""
    parts = re.split(r"; ?", cell)
    return [(part.split(",")[0], int(re.sub(r"[^0-9]", "", part.split(",", 1)[1]))) for part in parts]


def test_template_lists_read_back_whole(counts):
    table = prisma.template(counts, make_settings()).set_index("data")
    databases = read_like_the_r_package(table.loc["database_specific_results", "n"])
    assert [n for _, n in databases] == [18, 4, 0, 1]
    assert sum(n for _, n in databases) == counts["identification"]["databases_total"]
    excluded = read_like_the_r_package(table.loc["dbr_excluded", "n"])
    assert excluded == [("Wrong design / e.g. no comparison", 2), ("Reason not recorded", 1)]


def test_template_lists_are_zero_when_nothing_was_excluded():
    counts = prisma.count(make_records([("alpha", "included", "", ["s1"])]), make_settings())
    table = prisma.template(counts, make_settings()).set_index("data")
    assert table.loc["dbr_excluded", "n"] == "0"
    assert table.loc["other_excluded", "n"] == "0"


# --- diagram -------------------------------------------------------------------------------


def figure_texts(figure) -> list[str]:
    return [plain(text.get_text()) for axes in figure.axes for text in axes.texts]


@pytest.fixture(name="diagram_text", scope="module")
def fixture_diagram_text() -> str:
    """Every text of the sample diagram, wrapped lines joined again."""
    figure = prisma.diagram(prisma.count(make_records(), make_settings()), make_settings())
    return re.sub(r"\n *", " ", "\n".join(figure_texts(figure)))


@pytest.mark.parametrize("expected", [
    "Databases (n = 23)", "Alpha DB (n = 18)", "Beta, Index (n = 4)", "Duplicate records (n = 5)",
    "Records marked as ineligible by automation tools (n = 2)", "Records removed for other reasons (n = 1)",
    "Records screened (n = 21)", "Records excluded (n = 6)", "Wrong population (6)",
    "Reports sought for retrieval (n = 10)", "Reports not retrieved (n = 1)",
    "Reports assessed for eligibility (n = 9)", "Reports excluded (n = 3)",
    "Wrong design, e.g. no comparison (2)", "Reason not recorded (1)",
    "Studies included in review (n = 4)", "Reports of included studies (n = 6)",
    "Websites (n = 3)", "Organisations (n = 1)", "Citation searching (n = 2)",
    "Reports sought for retrieval (n = 4)", "Reports assessed for eligibility (n = 3)",
    "Identification of new studies via other methods", "Identification", "Screening", "Included",
    "includes 1 from other methods", "includes 5 from other methods",
])
def test_diagram_shows_the_counts(diagram_text, expected):
    assert expected in diagram_text


def test_diagram_text_stays_inside_boxes_and_boxes_do_not_overlap(counts):
    figure = prisma.diagram(counts, make_settings())
    renderer = FigureCanvasAgg(figure).get_renderer()
    axes = figure.axes[0]
    frames = [patch.get_window_extent(renderer) for patch in axes.patches if isinstance(patch, FancyBboxPatch)]
    assert len(frames) == len(axes.texts) == 19
    for text in axes.texts:
        extent = text.get_window_extent(renderer)
        holders = [frame for frame in frames if frame.x0 <= extent.x0 and extent.x1 <= frame.x1
                   and frame.y0 <= extent.y0 and extent.y1 <= frame.y1]
        assert len(holders) == 1, plain(text.get_text())
    for index, first in enumerate(frames):
        for second in frames[index + 1:]:
            assert not first.overlaps(second)


def test_diagram_without_other_methods_has_one_column():
    settings = make_settings(other_methods=False)
    records = make_records([row for row in RECORDS if row[0] in {"alpha", "beta"}])
    figure = prisma.diagram(prisma.count(records, settings), settings)
    texts = figure_texts(figure)
    assert "Identification of new studies via other methods" not in texts
    assert not any("from other methods" in text for text in texts)
    with_other = prisma.diagram(prisma.count(make_records(), make_settings()), make_settings())
    assert figure.get_figwidth() < with_other.get_figwidth()


def test_diagram_saves_a_png(counts, tmp_path):
    paths = figures.save(prisma.diagram(counts, make_settings()), tmp_path / "prisma", ("png",))
    assert paths == [tmp_path / "prisma.png"]
    assert paths[0].stat().st_size > 0
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_save_is_byte_identical_on_every_run(counts, tmp_path, fmt):
    first = figures.save(prisma.diagram(counts, make_settings()), tmp_path / "one" / "prisma", (fmt,))
    second = figures.save(prisma.diagram(counts, make_settings()), tmp_path / "two" / "prisma", (fmt,))
    assert first[0].read_bytes() == second[0].read_bytes()
    assert first[0].stat().st_size > 0


def test_save_keeps_dots_in_the_stem(counts, tmp_path):
    paths = figures.save(prisma.diagram(counts, make_settings()), tmp_path / "prisma.v2", ("svg", "pdf"))
    assert [path.name for path in paths] == ["prisma.v2.svg", "prisma.v2.pdf"]


def test_save_rejects_an_unknown_format(counts, tmp_path):
    with pytest.raises(ConfigError) as error:
        figures.save(prisma.diagram(counts, make_settings()), tmp_path / "prisma", ("svg", "jpg"))
    assert str(error.value) == ("config.yaml (figures.formats or prisma.formats): figure format(s) 'jpg' "
                                "not supported; use any of: pdf, png, svg")
    assert not list(tmp_path.iterdir())


# --- summary -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, line", [
    (RECORDS, "prisma: 29 identified; 5 duplicates; 2 removed by automation; 1 removed for other reasons; "
              "21 screened; 10 excluded; 2 not retrieved; 3 awaiting a decision; 6 included (4 studies)"),
    ([("alpha", "duplicate", "", ["d"] * 172), ("alpha", "included", "", [f"s{i}" for i in range(140)])],
     "prisma: 312 identified; 172 duplicates; 140 screened; 0 excluded; 140 included (140 studies)"),
], ids=["every-box", "duplicates-and-included"])
def test_summary(spec, line):
    assert prisma.summary(prisma.count(make_records(spec), make_settings())) == line


# --- updated reviews -----------------------------------------------------------------------

UPDATE_RECORDS = [
    ("alpha", "previous_review", "", ["v1", "v2", "v3"]),  # earlier round: v1, v2 included
    ("alpha", "previous_review", "ta_pop", ["v4"]),
    ("beta", "duplicate", "in_previous_version", ["v1", "v3"]),
    ("beta", "ta_excluded", "ta_pop", ["t1"]),
    ("beta", "included", "", ["s1", "s2"]),
]


def update_records() -> pd.DataFrame:
    records = make_records(UPDATE_RECORDS)
    previous_included = records[STUDY_ID].isin(["v1", "v2"]) & (records[PRISMA_BOX] == "previous_review")
    return records.assign(**{SCREEN_DECISION: previous_included.map({True: "included", False: "excluded"})})


def update_settings() -> Settings:
    base = make_settings(other_methods=False)
    sources = (Source(id="alpha", name="Alpha DB", path="alpha.ris", round=1),
               Source(id="beta", name="Beta, Index", path="beta.ris", round=2))
    return Settings(review_id=base.review_id, title=base.title, search=base.search, sources=sources,
                    criteria=base.criteria, hierarchy=base.hierarchy)


def test_an_update_counts_previous_new_and_total_studies():
    counts = prisma.count(update_records(), update_settings())
    prisma.check(counts)
    assert counts["previous"] == {"records": 4, "reports": 2, "studies": 2}
    assert counts["included"] == {"reports": 2, "studies": 2}
    assert counts["total"] == {"reports": 4, "studies": 4}
    # the new flow counts only the current round's records; only its databases are listed
    assert counts["identification"]["databases"] == {"Beta, Index": 5}
    assert counts["identification"]["databases_total"] == 5
    assert counts["removed_before_screening"]["duplicates"] == 2
    assert counts["screening"]["screened"] == 3
    assert counts["records_total"] == 9
    assert prisma.summary(counts) == ("prisma: 5 identified; 2 duplicates; 3 screened; 1 excluded; 2 included "
                                      "(2 studies); 2 studies from the previous version, 4 in total")


def test_an_update_fills_the_template_previous_and_total_rows():
    settings = update_settings()
    table = prisma.template(prisma.count(update_records(), settings), settings).set_index("data")
    values = {field: table.loc[field, "n"] for field in ("previous_studies", "previous_reports", "new_studies",
                                                         "new_reports", "total_studies", "total_reports",
                                                         "database_results", "database_specific_results")}
    assert values == {"previous_studies": "2", "previous_reports": "2", "new_studies": "2", "new_reports": "2",
                      "total_studies": "4", "total_reports": "4", "database_results": "5",
                      "database_specific_results": "Beta / Index, 5"}


def test_an_update_diagram_has_the_previous_studies_column_and_a_total_box():
    settings = update_settings()
    figure = prisma.diagram(prisma.count(update_records(), settings), settings)
    text = re.sub(r"\n *", " ", "\n".join(figure_texts(figure)))
    for expected in ("Previous studies", "Studies included in previous version of review (n = 2)",
                     "Reports of studies included in previous version of review (n = 2)",
                     "New studies included in review (n = 2)", "Reports of new included studies (n = 2)",
                     "Total studies included in review (n = 4)", "Reports of total included studies (n = 4)"):
        assert expected in text
    renderer = FigureCanvasAgg(figure).get_renderer()
    frames = [patch.get_window_extent(renderer) for patch in figure.axes[0].patches
              if isinstance(patch, FancyBboxPatch)]
    assert len(frames) == len(figure.axes[0].texts) == 16  # 13 of a new review + previous header, box, total
    for index, first in enumerate(frames):
        for second in frames[index + 1:]:
            assert not first.overlaps(second)


def test_a_new_review_has_no_previous_column():
    text = "\n".join(figure_texts(prisma.diagram(prisma.count(make_records(), make_settings()), make_settings())))
    assert "Previous studies" not in text and "Total studies" not in plain(text)


# The PRISMA2020 package's inst/extdata/PRISMA.csv (github.com/prisma-flowdiagram/PRISMA2020, commit 696d35e),
# column by column: PRISMA_data() looks rows up by `data`; `node` and `box` name the diagram parts.
PACKAGE_NODE = ["node4", "node5", "NA", "node6", "node7", "NA", "NA", "NA", "node16", "node17", "", "NA", "node8",
                "NA", "NA", "node9", "node10", "node11", "node12", "node18", "node19", "node13", "node14", "node20",
                "node21", "node15", "NA", "node22", "NA", "node1", "node2", "node3"]
PACKAGE_BOX = ["prevstud", "box1", "box1", "newstud", "box2", "box2", "box2", "box2", "othstud", "box11", "box11",
               "box11", "box3", "box3", "box3", "box4", "box5", "box6", "box7", "box12", "box13", "box8", "box9",
               "box14", "box15", "box10", "box10", "box16", "box16", "identification", "screening", "included"]


def test_template_matches_the_package_template_field_by_field(counts):
    table = prisma.template(counts, make_settings())
    assert list(zip(table["data"], table["node"], table["box"])) == list(zip(TEMPLATE_DATA, PACKAGE_NODE,
                                                                             PACKAGE_BOX))
