"""The report's audit mode in Chromium: marks made in the page, downloaded, read by the next run.

The fixture review is copied to tmp_path with a published level for every included study, so
that a reviewer can agree or disagree with each. Chromium opens the report with a fragment that
switches audit mode on, names the reviewer and, for each mark, fills the study card's form and
presses its Save button (the page's own handlers). The download link in the dumped DOM holds the
file's bytes; written where the next run reads raters, it is validated, counted in the agreement
table, and the disagreement becomes an open conflict. What the reviewer typed stays text: no
element appears from it, and a formula in the note reaches the file neutralised and the pipeline
as typed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from snakemake_runner import REPO, copy_review, snakemake
from test_report_browser import Dom, browse, chromium  # noqa: F401  (chromium is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SMITH, JONES, BROWN = "smith2010-9f28f8", "jones2012-779085", "brown2008-d9700b"
PUBLISHED = {"pmid:90000001": "best", "ref:jones2012-6670f05849": "promising",
             "ref:brown2008-168e6dc4f3": "contraindicated"}
TYPED_NOTE = '=HYPERLINK("http://evil.example/","x") <img src=x onerror=alert(1)> "quoted", two'


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    folder = copy_review(REPO / "tests" / "fixtures" / "review", tmp_path_factory.mktemp("audit") / "review")
    sheet = folder / "data/raw/extraction.csv"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "".join(
        f"{key},level_override,{level},report,,ann,as published\n" for key, level in PUBLISHED.items()),
        encoding="utf-8")
    result = snakemake(folder)
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


def marked_page(chromium: str, review: Path, profile: Path) -> Dom:
    marks = [f"{SMITH}|agree|", f"{JONES}|disagree|best|{TYPED_NOTE}", f"{BROWN}|agree|"]
    fragment = "tab=audit&auditor=rita&audit=on&" + "&".join(f"mark={quote(m, safe='')}" for m in marks)
    result = browse(chromium, review / "data/processed/report/index.html", fragment, profile, "--dump-dom")
    assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-3000:]
    dom = Dom("audit-marks")
    dom.feed(result.stdout)
    return dom


def download_of(dom: Dom) -> tuple[str, str]:
    link = next(attrs for tag, attrs in dom.elements if attrs.get("id") == "audit-download")
    prefix = "data:text/csv;charset=utf-8,"
    assert link["href"].startswith(prefix) and link["aria-disabled"] == "false"
    return link["download"], unquote(link["href"][len(prefix):])


def test_marks_are_made_downloaded_and_counted_by_the_next_run(chromium, review, tmp_path):  # noqa: F811
    dom = marked_page(chromium, review, tmp_path / "profile")
    name, text = download_of(dom)
    assert name == "rita.csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["key"], r["field"], r["value"], r["source"]) for r in rows] == [
        (BROWN, "level", "contraindicated", "report audit: agree"),
        (JONES, "level", "best", "report audit: disagree"),
        (SMITH, "level", "best", "report audit: agree")]
    assert rows[1]["note"] == "'" + TYPED_NOTE  # a spreadsheet would run it: neutralised in the file
    assert TYPED_NOTE in dom.text  # the marks table shows it as text
    tags = [tag for tag, _ in dom.elements]
    assert "img" not in tags and not [a for _, a in dom.elements if any(k.startswith("on") for k in a)]

    (review / "data/raw/extraction").mkdir()
    (review / "data/raw/extraction/rita.csv").write_text(text, encoding="utf-8")
    result = snakemake(review)
    assert result.returncode == 0, result.stderr[-4000:]
    audit = review / "data/processed/audit"
    with (audit / "agreement.csv").open(encoding="utf-8", newline="") as handle:
        agreement = [r for r in csv.DictReader(handle) if r["field"] == "level" and r["comparison"] == "between raters"]
    assert [(r["rater_a"], r["rater_b"], r["weights"], r["n"], r["agree"]) for r in agreement] == [
        ("extraction.csv", "rita", weights, "3", "2") for weights in ("none", "linear", "quadratic")]
    with (audit / "conflicts.csv").open(encoding="utf-8", newline="") as handle:
        conflicts = list(csv.DictReader(handle))
    assert [(c["study_id"], c["field"], c["status"]) for c in conflicts] == [(JONES, "level", "open")]
    from pipeline.io import read_table

    assert read_table(review / "data/raw/extraction/rita.csv")["note"].tolist()[1] == TYPED_NOTE


def test_without_a_name_there_is_nothing_to_download(chromium, review, tmp_path):  # noqa: F811
    fragment = f"tab=audit&audit=on&mark={quote(SMITH + '|agree|', safe='')}"
    result = browse(chromium, review / "data/processed/report/index.html", fragment, tmp_path / "p", "--dump-dom")
    dom = Dom("audit-mode")
    dom.feed(result.stdout)
    link = next(attrs for tag, attrs in dom.elements if attrs.get("id") == "audit-download")
    assert "href" not in link and link["aria-disabled"] == "true"
    assert "1 of 4 classified studies marked; give your name" in dom.text
