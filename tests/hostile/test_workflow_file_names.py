"""Hostile file names under data/raw/: the review runs to the end, no name is run as a command,
and every name reaches the report intact, as text.

The Snakefile passes decision and published files to the stages on a shell command line; each path
is quoted there (``{input.decisions:q}``), so ``$(...)``, quotes, spaces and a newline stay part of
one argument. Names Snakemake itself cannot take (a brace, bytes that are not UTF-8) stop the run
with one ERROR line naming the file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from snakemake_runner import REPO, copy_review, snakemake  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REVIEW = REPO / "tests" / "fixtures" / "review"
HOSTILE_NAMES = [
    "x$(touch PWNED)",
    "`touch PWNED`",
    "a; touch PWNED",
    "Ann Smith",
    "o'brien",
    'say "hi"',
    "new\nline",
    "-dash",
    "--log=PWNED",
    "<img src=x onerror=alert(1)>",
]
HEADER = "key,stage,decision,reason,reviewer,date,note\n"


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


@pytest.fixture(scope="module")
def hostile_review(tmp_path_factory) -> Path:
    review = copy_review(REVIEW, tmp_path_factory.mktemp("names") / "review")
    screening = review / "data/raw/decisions/screening"
    published = review / "data/raw/published"
    (screening / "ann.csv").rename(screening / f"ann {HOSTILE_NAMES[0]}.csv")
    for name in HOSTILE_NAMES:
        # one decision each, the reviewer taken from the file name
        (screening / f"{name}.csv").write_text(HEADER + "pmid:90000001,title_abstract,include,,,,\n")
        shutil.copy(published / "table2_methodology.csv", published / f"{name}.csv")
    result = snakemake(review)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stdout + result.stderr
    return review


def test_no_name_is_run_as_a_command(hostile_review):
    root = hostile_review.parent
    assert not [path for path in root.rglob("*PWNED*") if "data/raw" not in path.as_posix()]
    assert not list(REPO.glob("PWNED*"))
    assert not (Path.cwd() / "PWNED").exists()


def test_names_reach_the_report_intact_as_text(hostile_review):
    page = (hostile_review / "data/processed/report/index.html").read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.DOTALL)
    texts = _strings(json.loads(block.group(1)))
    for name in HOSTILE_NAMES:
        path = f"data/raw/decisions/screening/{name}.csv"
        assert path in texts, name
        assert name in texts, name  # the reviewer named by the file
    assert f"data/raw/decisions/screening/ann {HOSTILE_NAMES[0]}.csv" in texts
    assert "<img" not in page  # the markup in a name is data, escaped inside the JSON block


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("br{ace}s", "the name holds '{' or '}', which Snakemake reads as a wildcard"),
        (os.fsdecode(b"caf\xe9"), "the name is not UTF-8 text"),
    ],
    ids=["brace", "not-utf8"],
)
def test_a_name_snakemake_cannot_take_stops_with_one_error_line(tmp_path, name, problem):
    review = copy_review(REVIEW, tmp_path / "review")
    (review / "data/raw/decisions/screening" / f"{name}.csv").write_text(HEADER)
    result = snakemake(review)
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert result.returncode != 0
    assert len(errors) == 1, output[-3000:]
    shown = os.fsencode(name).decode("utf-8", "backslashreplace")
    assert errors[0].startswith(f"ERROR: data/raw/decisions/screening/{shown}.csv: {problem}; rename the file")
    assert "Traceback" not in output


def test_an_export_named_with_a_brace_is_refused_at_its_config_line(tmp_path, capsys):
    from pipeline.config import load_or_exit

    review = copy_review(REVIEW, tmp_path / "review")
    (review / "data/raw/exports/mini.ris").rename(review / "data/raw/exports/mini{1}.ris")
    config = review / "config.yaml"
    config.write_text(config.read_text().replace("path: data/raw/exports/mini.ris", "path: 'data/raw/exports/mini{1}.ris'"))
    with pytest.raises(SystemExit):
        load_or_exit(config)
    assert capsys.readouterr().err == (
        f"ERROR: {config}:9: sources[1].path: export file 'data/raw/exports/mini{{1}}.ris': the name holds '{{' or '}}', "
        "which Snakemake reads as a wildcard; rename the file and its path here (letters, digits, spaces, '-', '_' "
        "and '.' are safe)\n")
