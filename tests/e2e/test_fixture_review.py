"""End to end: Snakemake runs the whole pipeline on a tiny review and its outputs are pinned.

The golden files in tests/fixtures/review_expected/ change only with ``--update-golden``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from snakemake_runner import copy_review, outputs, snakemake

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
REVIEW = FIXTURES / "review"
EXPECTED = FIXTURES / "review_expected"
TEXT_SUFFIXES = {".csv", ".json", ".md", ".tex"}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    review = copy_review(REVIEW, tmp_path_factory.mktemp("e2e") / "review")
    result = snakemake(review)
    assert result.returncode == 0, result.stderr[-4000:]
    return review


def test_outputs_match_the_golden_files(finished, update_golden):
    produced = {path: data for path, data in outputs(finished).items() if Path(path).suffix in TEXT_SUFFIXES}
    if update_golden:
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for path, data in produced.items():
            (EXPECTED / path).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / path).write_bytes(data)
    expected = {p.relative_to(EXPECTED).as_posix(): p.read_bytes() for p in sorted(EXPECTED.rglob("*")) if p.is_file()}
    assert sorted(produced) == sorted(expected)
    for path in expected:
        assert produced[path].decode() == expected[path].decode(), path


def test_every_record_is_in_exactly_one_prisma_box(finished):
    counts = json.loads((finished / "data/processed/prisma/counts.json").read_text())
    assert counts["records_total"] == 11
    assert sum(counts["boxes"].values()) == 11
    assert counts["boxes"]["duplicate"] == 2
    assert counts["boxes"]["automation"] == 2
    assert counts["boxes"]["ta_excluded"] == 1
    assert counts["boxes"]["not_retrieved"] == 1
    assert counts["boxes"]["ft_excluded"] == 1
    assert counts["boxes"]["included"] == 4


def test_figures_are_drawn(finished):
    for name in ("prisma_flow", "evidence_pyramid", "table2_methodology", "table3_country"):
        for ext in ("svg", "png"):
            assert (finished / "figures" / f"{name}.{ext}").stat().st_size > 1000


def test_a_second_run_does_nothing_and_changes_no_file(finished):
    before = outputs(finished)
    result = snakemake(finished)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in result.stderr + result.stdout
    assert outputs(finished) == before


def copy_finished(finished: Path, target: Path) -> Path:
    """The finished review with its outputs, their times and Snakemake's records of how they were made:
    to Snakemake, the same review in another folder (no second full run needed)."""
    shutil.copytree(finished, target, symlinks=True, ignore=shutil.ignore_patterns("locks"))
    return target


def test_editing_a_criterion_reruns_only_what_is_downstream(finished, tmp_path):
    review = copy_finished(finished, tmp_path / "edited")
    config = review / "config.yaml"
    config.write_text(config.read_text().replace("label: General workplace stress", "label: General work stress"))
    result = snakemake(review, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    planned = set(re.findall(r"^(?:local)?rule (\w+):", log, flags=re.MULTILINE))
    assert planned == {"all", "screen", "classify", "audit", "prisma", "tables", "figures", "reconcile", "report"}


def test_upgrading_the_pipeline_code_reruns_every_stage(finished, tmp_path):
    review = copy_finished(finished, tmp_path / "upgraded")
    same = snakemake(review, "--dry-run", code=copy_code(tmp_path / "same"))
    assert "Nothing to be done" in same.stdout + same.stderr  # a copy of the same code is the same code
    upgraded = copy_code(tmp_path / "upgraded_code")
    tables = upgraded / "pipeline" / "tables.py"
    tables.write_text(tables.read_text(encoding="utf-8") + "\n# one more line of code\n", encoding="utf-8")
    result = snakemake(review, "--dry-run", code=upgraded)
    assert result.returncode == 0, result.stderr[-3000:]
    planned = set(re.findall(r"^(?:local)?rule (\w+):", result.stdout + result.stderr, flags=re.MULTILINE))
    assert planned == {"all", "ingest_source", "ingest", "deduplicate", "screen", "classify", "audit", "prisma",
                       "tables", "figures", "reconcile", "report"}


def copy_code(target: Path) -> Path:
    """A folder holding a copy of the repository's Snakefile and ``pipeline`` package."""
    shutil.copytree(REPO_ROOT / "pipeline", target / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO_ROOT / "Snakefile", target / "Snakefile")
    return target


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(("data/raw/exports/mini.ris", "TY  - JOUR\r\nAU  - Jones", "AU  - Jones"),
                     "ERROR: data/raw/exports/mini.ris:", id="malformed-export"),
        # the two below run the stages before the one that stops: the full suite only
        pytest.param(("data/raw/decisions/screening/bob.csv", "exc_informal_caregivers,bob", "exc_caregivers,bob"),
                     "ERROR: data/raw/decisions/screening/bob.csv:6: unknown criterion 'exc_caregivers'",
                     id="unknown-criterion", marks=pytest.mark.slow),
        pytest.param(("config.yaml", "precedence: [override, no_effect, design]",
                      "precedense: [override, no_effect, design]"),
                     "ERROR: config.yaml:29: hierarchy.precedense: unknown key 'precedense'; did you mean 'precedence'?",
                     id="config-typo"),
        pytest.param(("data/raw/extraction.csv", "pmid:90000001,design,rct", "pmid:90000001,design,randomised"),
                     "ERROR: data/raw/extraction.csv:2:", id="bad-extraction", marks=pytest.mark.slow),
    ],
)
def test_bad_input_stops_with_one_clear_message(tmp_path, edit, expected):
    review = copy_review(REVIEW, tmp_path / "review")
    path, old, new = edit
    target = review / path
    text = target.read_bytes().decode()
    assert old in text
    target.write_bytes(text.replace(old, new, 1).encode())
    result = snakemake(review)
    assert result.returncode != 0
    errors = [line for line in (result.stderr + result.stdout).splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert errors[0].startswith(expected), errors[0]
    assert "Traceback" not in result.stderr + result.stdout
