"""Two raters on the fixture review: blinded queues, conflicts, resolutions, final values and levels.

The screened studies are the fixture review's pinned ones; the raters' files and the resolutions
are written in tmp_path and read as a run reads them, so errors name the file and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from pipeline import audit, classify, config, raters
from pipeline.errors import DecisionError
from pipeline.io import read_table

REPO = Path(__file__).resolve().parents[2]
REVIEW = REPO / "tests" / "fixtures" / "review"
EXPECTED = REPO / "tests" / "fixtures" / "review_expected" / "data" / "processed"
SETTINGS = config.load(REVIEW / "config.yaml")
HEADER = "key,field,value,source,quote,extractor,note\n"
SMITH, JONES, LEE, BROWN = "smith2010-9f28f8", "jones2012-779085", "lee2015-13286a", "brown2008-d9700b"

ANN = HEADER + f"""\
{SMITH},design,rct,abstract,randomly assigned,ann,
{SMITH},effect,effective,abstract,fell,ann,
{SMITH},intervention,mindfulness,abstract,,ann,
{SMITH},level,best,,,ann,
{JONES},design,one_group_pre_post,title,a pilot study,ann,
{JONES},level,promising,,,ann,
{LEE},design,opinion,full text,an essay,ann,
{LEE},level,emerging,,,ann,recommendations only
{BROWN},design,rct,title,a randomised trial,ann,
{BROWN},effect,no_effect,title,did not reduce,ann,
{BROWN},level,contraindicated,,,ann,
"""
BOB = HEADER + f"""\
{SMITH},design,rct,full text p. 3,randomised,bob,
{SMITH},effect,effective,full text p. 6,,bob,
{SMITH},intervention,mindfulness,abstract,,bob,
{SMITH},intervention,peer support,full text,,bob,
{SMITH},level,best,,,bob,
{JONES},design,rct,full text,a comparison group,bob,
{JONES},level,best,,,bob,
{LEE},design,opinion,full text,,bob,
{LEE},level,promising,,,bob,
"""
RESOLUTIONS = """key,field,value,resolved_by,date,note
ref:jones2012-6670f05849,design,one_group_pre_post,carol,2026-01-05,no comparison group in the methods
ref:jones2012-6670f05849,level,promising,carol,2026-01-05,follows the design
"""


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def audited(tmp_path: Path, ann: str = ANN, bob: str = BOB, resolutions: str = RESOLUTIONS) -> audit.Outputs:
    files = {path: read_table(path, line_numbers=True)
             for path in (write(tmp_path, "extraction/ann.csv", ann), write(tmp_path, "extraction/bob.csv", bob))}
    settled = read_table(write(tmp_path, "extraction_resolutions.csv", resolutions), line_numbers=True)
    studies = read_table(EXPECTED / "screen" / "studies.csv")
    single = read_table(REVIEW / "data" / "raw" / "extraction.csv", line_numbers=True)
    classified = classify.run(classify.Inputs(studies, single, settled, files), SETTINGS.hierarchy).studies
    return audit.run(audit.Inputs(studies, classified, single, settled, files), SETTINGS), classified


@pytest.fixture
def result(tmp_path):
    return audited(tmp_path)


def test_each_queue_lists_what_its_rater_has_not_filled_and_no_one_elses_values(result):
    outputs, _ = result
    queues = outputs.queues
    assert sorted(queues) == ["ann", "bob"]
    bob = queues["bob"]
    assert set(bob.loc[bob["key"] == BROWN, "field"]) == set(raters.QUEUE_FIELDS)  # bob has not started Brown
    assert (JONES, "design") not in set(zip(bob["key"], bob["field"]))  # filled
    for rater, other_text in (("ann", BOB), ("bob", ANN)):
        queue = queues[rater]
        assert (queue["value"] == "").all() and (queue["extractor"] == rater).all()
        others = {line.split(",")[2] for line in other_text.splitlines()[1:]}
        shown = set(queue[["key", "field", "value", "source", "quote", "note"]].to_numpy().ravel())
        assert not (others - {""}) & shown, f"{rater}'s queue shows another rater's values"
    assert list(queues["ann"].columns[:7]) == HEADER.strip().split(",")  # copy rows straight into the file


def test_conflicts_are_found_and_the_resolutions_settle_them(result):
    conflicts = result[0].conflicts
    found = {(s, f): (st, v) for s, f, st, v in zip(conflicts["study_id"], conflicts["field"], conflicts["status"],
                                                     conflicts["value"])}
    assert found == {
        (JONES, "design"): ("resolved", "one_group_pre_post"),
        (JONES, "level"): ("resolved", "promising"),
        (LEE, "level"): ("open", ""),
        (SMITH, "intervention"): ("open", ""),  # bob adds peer support
    }
    row = conflicts[(conflicts["study_id"] == JONES) & (conflicts["field"] == "design")].iloc[0]
    # the single sheet takes part as one more rater where the raters fill what it holds
    assert json.loads(row["values"]) == {"ann": "one_group_pre_post", "bob": "rct",
                                         "extraction.csv": "one_group_pre_post"}
    assert row["resolved_by"] == "carol"


def test_final_values_say_where_they_come_from_and_give_the_levels(result):
    outputs, classified = result
    final = {(s, f): (v, b) for s, f, v, b in zip(outputs.final["study_id"], outputs.final["field"],
                                                  outputs.final["value"], outputs.final["basis"])}
    assert final[(SMITH, "level")] == ("best", "agreement")
    assert final[(JONES, "level")] == ("promising", "resolution")
    assert final[(LEE, "level")] == ("", "conflict")
    assert final[(BROWN, "level")] == ("contraindicated", "one_rater")
    assert final[(BROWN, "country")] == ("Uganda", "single_file")  # no rater filled it: the single sheet's
    level = dict(zip(classified["study_id"], classified["evidence_level"]))
    rule = dict(zip(classified["study_id"], classified["evidence_rule"]))
    assert level == {SMITH: "best", JONES: "promising", LEE: "emerging", BROWN: "contraindicated"}
    # agreed and resolved levels are the raters' (overrides); an open conflict leaves the level to the rules
    assert (rule[SMITH], rule[JONES], rule[BROWN], rule[LEE]) == ("override", "override", "override", "design")
    trail = dict(zip(classified["study_id"], classified["trail"]))
    assert "resolution (carol): follows the design" in trail[JONES]
    assert "agreement (ann, bob)" in trail[SMITH]


def test_agreement_between_the_raters_per_field_equals_scikit_learn(result):
    table = result[0].agreement
    design = table[(table["comparison"] == "between raters") & (table["field"] == "design")].iloc[0]
    assert (design["rater_a"], design["rater_b"], design["n"], design["agree"]) == ("ann", "bob", "3", "2")
    reference = cohen_kappa_score(["rct", "one_group_pre_post", "opinion"], ["rct", "rct", "opinion"])
    assert float(design["kappa"]) == pytest.approx(reference, abs=5e-5)
    between = table[(table["comparison"] == "between raters") & (table["rater_b"] == "bob")]
    levels = between[between["field"] == "level"]
    assert list(levels["weights"]) == ["none", "linear", "quadratic"]
    order = [lv.id for lv in SETTINGS.hierarchy.levels]
    for weights, row in zip([None, "linear", "quadratic"], levels.to_dict("records")):
        expected = cohen_kappa_score(["best", "promising", "emerging"], ["best", "best", "promising"], labels=order,
                                     weights=weights)
        assert float(row["kappa"]) == pytest.approx(expected, abs=5e-5)
        assert float(row["ci_low"]) <= float(row["kappa"]) <= float(row["ci_high"])


def test_the_single_sheet_is_compared_with_each_rater(result):
    table = result[0].agreement
    pairs = set(zip(table["rater_a"], table["rater_b"]))
    assert {("ann", "bob"), ("ann", "extraction.csv"), ("bob", "extraction.csv")} <= pairs
    lee_level = result[0].final.query("study_id == @LEE and field == 'level'").iloc[0]
    assert json.loads(lee_level["values"]) == {"ann": "emerging", "bob": "promising", "extraction.csv": "emerging"}


def test_the_rules_rate_each_raters_design_against_the_raters_level(result):
    levels = result[0].levels
    bob = levels[levels["source"] == "bob"].set_index("study_id")
    assert (bob.loc[JONES, "rules_level"], bob.loc[JONES, "stated_level"], bob.loc[JONES, "agrees"]) == (
        "best", "best", "yes")
    assert (bob.loc[LEE, "rules_level"], bob.loc[LEE, "stated_level"], bob.loc[LEE, "agrees"]) == (
        "emerging", "promising", "no")
    assert bob.loc[LEE, "trail"] == "rules: design opinion -> emerging; bob states promising"
    ann = levels[levels["source"] == "ann"].set_index("study_id")
    assert ann.loc[BROWN, "trail"].startswith("rules: effect no_effect -> contraindicated")


def test_robustness_moves_each_contested_study_to_its_other_level(result):
    outputs, _ = result
    moved = outputs.robustness
    # bob reads Lee at promising; Lee is emerging: the level counts move by one each way
    lee = moved[(moved["studies"] == LEE) & (moved["table"] == "level_counts")]
    assert set(zip(lee["column"], lee["before"], lee["after"])) >= {("Emerging Practice", "1", "0"),
                                                                   ("Promising Practice", "1", "2")}
    assert "level_counts: moves under" in outputs.verdicts


def test_without_raters_the_single_sheet_is_every_final_value(tmp_path):
    studies = read_table(EXPECTED / "screen" / "studies.csv")
    single = read_table(REVIEW / "data" / "raw" / "extraction.csv", line_numbers=True)
    classified = read_table(EXPECTED / "classify" / "studies.csv")
    empty = pd.DataFrame(columns=raters.RESOLUTION_COLUMNS)
    outputs = audit.run(audit.Inputs(studies, classified, single, empty, {}), SETTINGS)
    assert set(outputs.final["basis"]) == {"single_file"} and outputs.conflicts.empty and outputs.queues == {}


@pytest.mark.parametrize("ann, resolutions, where, message", [
    (ANN.replace(f"{SMITH},level,best", f"{SMITH},level,gold"), RESOLUTIONS, "ann.csv:5",
     "level 'gold' is not a level id"),
    (ANN + f"{SMITH},level,promising,,,ann,\n", RESOLUTIONS, "ann.csv:13", "level 'promising' contradicts 'best'"),
    (ANN, RESOLUTIONS.replace(",design,one_group", ",desing,one_group"), "extraction_resolutions.csv:2",
     "unknown field 'desing'"),
    (ANN, RESOLUTIONS.replace(",carol,2026-01-05,follows", ",,2026-01-05,follows"), "extraction_resolutions.csv:3",
     "names nobody in resolved_by"),
    (ANN, "key,field,value,who\n", "extraction_resolutions.csv:1", "the header is key, field, value, who"),
], ids=["bad level", "two levels", "unknown field", "nobody resolved", "bad header"])
def test_a_bad_row_is_one_error_at_its_file_and_line(tmp_path, ann, resolutions, where, message):
    with pytest.raises(DecisionError) as error:
        audited(tmp_path, ann=ann, resolutions=resolutions)
    assert error.value.where.endswith(where) and message in error.value.what


def test_a_rater_cannot_be_named_after_the_rules(tmp_path):
    path = write(tmp_path, "rules.csv", ANN)
    studies = read_table(EXPECTED / "screen" / "studies.csv")
    with pytest.raises(DecisionError, match="cannot name a rater"):
        raters.validate_raters({path: read_table(path, line_numbers=True)}, studies, SETTINGS.hierarchy)
