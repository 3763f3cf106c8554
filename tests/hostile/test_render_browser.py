"""Attack, end to end in a real browser: hostile text in titles, authors, extracted values and source names.

The hostile fixture review (tests/fixtures/hostile) gets, at test time, a source name and extracted
countries that broke the figures, PRISMA and report stages before (``$\\x$``, "cost $5 to $10",
"online = yes", "javascript:alert(1)"), an image whose handler would mark the page if it ever ran, and
published numbers so that reconcile.md carries titles and authors. Snakemake runs the whole review;
headless Chromium then opens the report and the Markdown outputs (rendered by cmark-gfm with raw HTML
allowed) and the DOM after every script ran is checked: each payload is text, every figure is
embedded, no element or handler came from the data, and the marker is nowhere.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from snakemake_runner import copy_review, snakemake  # noqa: E402
from test_report_browser import Dom, browse, chromium  # noqa: E402,F401  (chromium is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
MARKER = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\">"
SOURCE_NAME = f"$\\x$ {MARKER} Scopus"
COUNTRIES = {"doi:10.1234/hostile.2": "$\\x$ cost $5 to $10", "doi:10.1234/hostile.4": "online = yes javascript:alert(1)"}
LEVELS = ("key,level,line,citation\n"
          "doi:10.1234/hostile.1,promising,1,\n"
          f"doi:10.1234/elsewhere,best,2,\"{MARKER.replace(chr(34), chr(34) * 2)} *Journal* | # 1.\"\n")
COUNTRY_TABLE = ("Country of Study,Best Practice,Promising Practice,Emerging Practice,Contraindicated Practice,Total\n"
                 "<b>USA</b>,1,0,0,0,1\nTotal,1,0,0,0,1\n")


def plant(review: Path) -> None:
    config = review / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("name: Scopus,", f"name: {json.dumps(SOURCE_NAME)},"),
                      encoding="utf-8")
    extraction = review / "data/raw/extraction.csv"
    rows = extraction.read_text(encoding="utf-8").splitlines()
    rows = [row for row in rows if not any(row.startswith(f"{key},country,") for key in COUNTRIES)]
    rows += [f'{key},country,"{value}",abstract,,eve,' for key, value in COUNTRIES.items()]
    extraction.write_text("\n".join(rows) + "\n", encoding="utf-8")
    published = review / "data/raw/published"
    published.mkdir()
    (published / "levels.csv").write_text(LEVELS, encoding="utf-8")
    (published / "table3_country.csv").write_text(COUNTRY_TABLE, encoding="utf-8")


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    folder = copy_review(FIXTURE, tmp_path_factory.mktemp("hostile-text") / "review")
    plant(folder)
    result = snakemake(folder)
    assert result.returncode == 0, result.stderr[-4000:]  # before: figures or prisma stopped, or the report refused
    return folder


def after_script(chromium: str, page: Path, fragment: str, profile: Path) -> tuple[str, Dom]:
    result = browse(chromium, page, fragment, profile, "--dump-dom")
    assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-3000:]
    dom = Dom("card")
    dom.feed(result.stdout)
    return result.stdout, dom


def assert_nothing_ran(dom: Dom) -> None:
    tags = [tag for tag, _ in dom.elements]
    assert not [attrs for _, attrs in dom.elements if "data-pwned" in attrs]  # the marker's handler never ran
    assert "img" not in tags and "b" not in tags and "iframe" not in tags
    assert not [attrs for _, attrs in dom.elements if any(name.startswith("on") for name in attrs)]


def test_the_report_embeds_every_figure_and_shows_the_payloads_as_text(chromium, review, tmp_path):
    from pipeline.io import read_table

    studies = read_table(review / "data/processed/screen/studies.csv")
    study = studies.loc[studies["title"].str.contains("peer support groups", regex=False), "study_id"].iloc[0]
    page = review / "data/processed/report/index.html"
    _, dom = after_script(chromium, page, f"search=peer&open={quote(study)}", tmp_path / "profile")
    assert_nothing_ran(dom)
    figures = [attrs["data-figure"] for tag, attrs in dom.elements if tag == "figure" and "data-figure" in attrs]
    assert sorted(figures) == ["evidence_pyramid", "prisma_flow", "table2_methodology", "table3_country"]
    assert [tag for tag, _ in dom.elements].count("script") == 2  # the data block and the page's own script
    assert COUNTRIES["doi:10.1234/hostile.2"] in dom.text


def test_the_source_name_is_the_text_of_its_filter_option(chromium, review, tmp_path):
    from html.parser import HTMLParser

    source, _ = after_script(chromium, review / "data/processed/report/index.html", "view=records",
                             tmp_path / "profile")

    class Options(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.texts: list[str] = []
            self.inside = False

        def handle_starttag(self, tag, attrs):
            self.inside = tag == "option"
            if self.inside:
                self.texts.append("")

        def handle_endtag(self, tag):
            self.inside = False

        def handle_data(self, data):
            if self.inside:
                self.texts[-1] += data

    options = Options()
    options.feed(source)
    assert SOURCE_NAME in options.texts


@pytest.mark.parametrize("output", ["reconcile/reconcile.md", "tables/tables.md"])
def test_the_markdown_outputs_show_the_payloads_as_text_in_a_browser(chromium, review, tmp_path, output):
    cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (the test extra) renders the Markdown")
    from cmarkgfm.cmark import Options

    text = (review / "data/processed" / output).read_text(encoding="utf-8")
    rendered = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    assert "<img" not in rendered and "<b>" not in rendered  # fails fast, before the browser loads raw HTML
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><div id='card'>" + rendered
                    + "</div></body></html>", encoding="utf-8")
    _, dom = after_script(chromium, page, "", tmp_path / "profile")
    assert_nothing_ran(dom)
    shown = {"reconcile/reconcile.md": [MARKER, "*Journal* | # 1.", "<b>USA</b>", "$\\x$ cost $5 to $10"],
             "tables/tables.md": ["$\\x$ cost $5 to $10", "online = yes javascript:alert(1)"]}[output]
    for payload in shown:
        assert payload in dom.text, payload
