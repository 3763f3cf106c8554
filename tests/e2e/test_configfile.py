"""The Snakefile as Snakemake sees it: ``snakemake --configfile other.yaml`` runs the review other.yaml
describes (the Snakefile checks that file, not config.yaml, and every stage reads it), and
``snakemake --lint`` finds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snakemake_runner import copy_review, snakemake

REVIEW = Path(__file__).resolve().parents[1] / "fixtures" / "review"

pytestmark = pytest.mark.e2e


def test_the_stages_read_the_config_file_given_on_the_command_line(tmp_path):
    review = copy_review(REVIEW, tmp_path / "review")
    config = review / "config.yaml"
    other = config.read_text(encoding="utf-8")
    other = other.replace("title: A tiny fixture review", "title: The review other.yaml describes")
    other = other.replace("name: MEDLINE,", "name: MEDLINE as other.yaml names it,")
    other = other.replace("figures: {formats: [svg, png]}", "figures: {formats: [svg]}")
    (review / "other.yaml").write_text(other, encoding="utf-8")
    # config.yaml is not this run's review: were it read, the run would stop at this key
    config.write_text(config.read_text(encoding="utf-8") + "not_a_section: 1\n", encoding="utf-8")

    result = snakemake(review, "--configfile", "other.yaml")

    assert result.returncode == 0, result.stderr[-4000:]
    page = (review / "data/processed/report/index.html").read_text(encoding="utf-8")
    assert "The review other.yaml describes" in page and "A tiny fixture review" not in page
    counts = json.loads((review / "data/processed/prisma/counts.json").read_text(encoding="utf-8"))
    assert "MEDLINE as other.yaml names it" in json.dumps(counts)
    assert sorted(path.name for path in (review / "figures").glob("evidence_pyramid.*")) == ["evidence_pyramid.svg"]


def test_two_config_files_are_refused(tmp_path):
    review = copy_review(REVIEW, tmp_path / "review")
    (review / "other.yaml").write_text((review / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = snakemake(review, "--configfile", "config.yaml", "other.yaml", "--dry-run")
    assert result.returncode != 0
    assert "ERROR: --configfile names 2 files" in result.stderr


def test_snakemake_lint_finds_nothing(tmp_path):
    """Every rule has its log, threads, memory and software environment, and takes only files and
    params (Snakemake's own best-practice check)."""
    review = copy_review(REVIEW, tmp_path / "review")
    result = snakemake(review, "--lint")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr
