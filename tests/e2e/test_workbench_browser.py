"""The screening workbench in a real browser: two reviewers screen the fixture review at once, the
server is killed mid-way and started again, the next pipeline run counts every decision, and the
full-text stage links the PDF.

Snakemake first runs the fixture review without its screening decisions, so its title/abstract
queue holds six studies. Headless Chromium (driven through the DevTools pipe, tests/e2e/browser_pipe.py)
opens the workbench twice, in two browser contexts: ann decides with the keyboard, bob with the
mouse. Then ann screens the full-text queue that run wrote: the study's PDF is linked and served,
and a retrieval reason is written at stage full_text. A screenshot of ann's page is saved under tmp_path and copied to ``$WORKBENCH_SCREENSHOT``
(default: ``workbench-screenshot.png`` in the system's temporary folder). Without Chromium the
test skips and says why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from browser_pipe import Browser, find_chromium
from snakemake_runner import REPO, copy_review, snakemake

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "review"
SCREENSHOT_COPY = Path(os.environ.get("WORKBENCH_SCREENSHOT", Path(tempfile.gettempdir()) / "workbench-screenshot.png"))
NOTE = "<img src=x onerror=alert(1)> =SUM(1) not sure"
EXCLUDE = "exc_informal_caregivers"  # the first exclusion criterion: key 1, the first button


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if not found:
        pytest.skip("no Chromium found on PATH; install Debian's chromium package to run the browser test "
                    "(.ci/run does on CI)")
    return found


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    """The fixture review with no screening decisions yet, run once so that its work queues exist."""
    folder = copy_review(FIXTURE, tmp_path_factory.mktemp("workbench") / "review")
    for path in (folder / "data/raw/decisions/screening").glob("*.csv"):
        path.unlink()
    result = snakemake(folder)
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


class Server:
    """``python -m pipeline workbench`` as a user starts it, on a free port."""

    def __init__(self, review: Path, log: Path) -> None:
        env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        self.log = log
        with open(log, "w") as handle:
            self.process = subprocess.Popen([sys.executable, "-m", "pipeline", "workbench", "--review", str(review),
                                             "--port", "0"], stdout=handle, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:\d+/", log.read_text())
            if found:
                self.url = found.group()
                return
            assert self.process.poll() is None, log.read_text()
            time.sleep(0.05)
        raise TimeoutError(log.read_text())

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def rows(review: Path, reviewer: str) -> list[list[str]]:
    from pipeline.io import read_table

    path = review / "data/raw/decisions/screening" / f"{reviewer}.csv"
    return read_table(path)[["key", "stage", "decision", "reason", "reviewer", "note"]].values.tolist()


def log_in(page, name: str, stage: str = "title_abstract") -> str:
    page.click("#reviewer")
    page.type(name)
    page.js(f"document.getElementById('stage').value = {stage!r}")
    page.click("button[type=submit]")
    page.wait("!document.getElementById('screen').hidden")
    return shown(page)


def shown(page) -> str:
    return page.js("document.getElementById('record').dataset.key")


def decide(page, *, key: str = "", click: str = "", note: str = "") -> str:
    """Decide the record on screen by a key press (or a click), wait until the page says it is
    saved, and return the key of the study decided."""
    before = shown(page)
    if note:
        page.press("n")
        page.type(note)
        page.press("Escape")
    page.press(key) if key else page.click(click)
    page.wait(f"document.getElementById('status').dataset.state === 'saved' && "
              f"document.getElementById('status').textContent.indexOf({before!r}) >= 0")
    return before


def test_two_reviewers_screen_through_a_killed_server_and_the_run_counts_them(chromium, review, tmp_path):
    queue = 6
    server = Server(review, tmp_path / "server1.log")
    browser = Browser(chromium, tmp_path / "profile")
    try:
        ann, bob = browser.page(server.url), browser.page(server.url)
        first = log_in(ann, "ann")
        assert log_in(bob, "bob") == first
        # ann with the keyboard, bob with the mouse, turn about
        done_by_ann = [decide(ann, key="i"), decide(ann, key="1"), decide(ann, key="m", note=NOTE)]
        assert bob.js("document.getElementById('mine').hidden") and shown(bob) == first  # blind to ann
        done_by_bob = [decide(bob, click="#include"), decide(bob, click="#exclusions button")]
        expected_ann = [[done_by_ann[0], "title_abstract", "include", "", "ann", ""],
                        [done_by_ann[1], "title_abstract", "exclude", EXCLUDE, "ann", ""],
                        [done_by_ann[2], "title_abstract", "maybe", "", "ann", NOTE]]
        assert rows(review, "ann") == expected_ann
        assert ann.js("document.getElementById('progress').textContent").startswith(f"Decided 3 of {queue}")
        # back to the last one: the note typed with markup shows as text; deciding again replaces the row
        ann.press("b")
        ann.wait(f"document.getElementById('record').dataset.key === {done_by_ann[2]!r}")
        assert NOTE in ann.js("document.getElementById('mine').textContent")
        assert ann.js("document.querySelectorAll('img, #record script').length") == 0
        decide(ann, key="m")
        assert "replacing your earlier row" in ann.js("document.getElementById('status').textContent")
        assert rows(review, "ann") == expected_ann

        server.kill()  # mid-way: every decision the page called saved is in the file
        assert rows(review, "ann") == expected_ann
        assert [row[0] for row in rows(review, "bob")] == done_by_bob
        before = shown(ann)
        ann.press("i")
        ann.wait("document.getElementById('status').dataset.state === 'error'")
        assert "Not saved" in ann.js("document.getElementById('status').textContent") and shown(ann) == before

        stopping = review / "data/processed/screen/stopping.json"
        ran = json.loads(stopping.read_text())  # what the run wrote, its rule's name given markup: shown as text
        rule = f"<b>sampled</b> {ran['rule_name']}"
        stopping.write_text(json.dumps({**ran, "rule_name": rule}))
        server = Server(review, tmp_path / "server2.log")
        for page in (ann, bob):
            page.goto(server.url)
        assert log_in(ann, "ann") not in done_by_ann
        assert f"Stopping rule {rule}: " in ann.js("document.getElementById('stopping').textContent")
        assert f"recall target {ran['recall_target']}" in ann.js("document.getElementById('stopping').textContent")
        stopping.write_text(json.dumps(ran))
        assert ann.js("document.getElementById('progress').textContent").startswith(f"Decided 3 of {queue}")
        assert log_in(bob, "bob") not in done_by_bob
        # the rest, still at once
        while len(done_by_ann) < queue or len(done_by_bob) < queue:
            if len(done_by_ann) < queue:
                done_by_ann.append(decide(ann, key="i"))
            if len(done_by_bob) < queue:
                done_by_bob.append(decide(bob, click="#include"))
        assert ann.js("document.getElementById('done').hidden") is False
        ann.press("b")
        ann.wait(f"document.getElementById('record').dataset.key === {done_by_ann[-1]!r}")
        ann.screenshot(tmp_path / "workbench.png")
    finally:
        browser.close()
        server.kill()
    SCREENSHOT_COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "workbench.png", SCREENSHOT_COPY)

    assert sorted(done_by_ann) == sorted(done_by_bob) and len(set(done_by_ann)) == queue
    assert [row[2] for row in rows(review, "ann")] == ["include", "exclude", "maybe", "include", "include", "include"]
    result = snakemake(review)  # the next run reads the same files
    assert result.returncode == 0, result.stderr[-4000:]
    counts = json.loads((review / "data/processed/prisma/counts.json").read_text())
    boxes = counts["boxes"]
    # both excluded the second study; the other five (include, or include and maybe) passed on to
    # full text, beside the one a resolution had already passed
    assert boxes["pending_title_abstract"] == 0 and boxes["ta_excluded"] == 1
    assert boxes["pending_full_text"] == 1 + queue - 1
    screened = (review / "data/processed/screen/decisions.csv").read_text()
    assert screened.count("data/raw/decisions/screening/ann.csv") == screened.count("screening/bob.csv") == queue

    # full text, from the queue that run wrote: a link to the study's PDF, and a retrieval reason
    queue = (review / "data/processed/screen/to_screen_full_text.csv").read_text().splitlines()
    study = queue[1].split(",")[0]
    (review / "data/raw/fulltext").mkdir(parents=True)
    (review / "data/raw/fulltext" / f"{study}.pdf").write_bytes(b"%PDF-1.4 fixture")
    server = Server(review, tmp_path / "server3.log")
    browser = Browser(chromium, tmp_path / "profile")
    try:
        ann = browser.page(server.url)
        assert log_in(ann, "ann", "full_text") == study
        assert ann.js("document.querySelector('#links a').getAttribute('href')") == f"/fulltext?key={study}"
        assert ann.js("window.fetch(document.querySelector('#links a').href).then(r => r.status + ' ' + "
                      "r.headers.get('Content-Type'))") == "200 application/pdf"
        decide(ann, click="#exclusions button[data-reason=exc_book_not_online]")
    finally:
        browser.close()
        server.kill()
    assert rows(review, "ann")[-1] == [study, "full_text", "exclude", "exc_book_not_online", "ann", ""]
