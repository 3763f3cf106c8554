"""A new user's review, through the public commands only: init, run, fill the queues, run, PRISMA.

The export is a shared PubMed file of 10 records; the reviewer excludes the first four at title
and abstract, cannot get the full text of the fifth, excludes the sixth at full text and includes
the other four. The same again with data/raw/decisions/ deleted: the optional files are optional; that run stops
the first two rounds at the screen stage (`--until screen`, passed on to Snakemake) to keep the
suite short.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPORT = "exports/rayyan-formats-plugins/spec/support/example1.nbib"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def review_py(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, str(REPO / "review.py"), *args], cwd=cwd, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    return result


def decide(queue: Path, decisions: Path, choose) -> int:
    """Fill the queue's rows with ``choose(position)`` -> (decision, reason) and add them to the
    reviewer's file, as a reviewer copying rows from the queue would."""
    with queue.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for position, row in enumerate(rows):
        row["decision"], row["reason"] = choose(position)
    decisions.parent.mkdir(parents=True, exist_ok=True)
    new = not decisions.exists()
    with decisions.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        if new:
            writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@pytest.mark.parametrize("keep_decision_files", [True, False], ids=["as-made-by-init", "decisions-folder-deleted"])
def test_a_new_review_from_init_to_the_prisma_counts(shared_data, tmp_path, keep_decision_files):
    review_py("init", "my-review", str(shared_data / EXPORT), cwd=tmp_path)
    review = tmp_path / "my-review"
    if not keep_decision_files:
        shutil.rmtree(review / "data/raw/decisions")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    until = [] if keep_decision_files else ["--until", "screen"]
    review_py("run", "../my-review", *until, cwd=elsewhere)
    screen = review / "data/processed/screen"
    ann = review / "data/raw/decisions/screening/ann.csv"

    assert decide(screen / "to_screen_title_abstract.csv", ann,
                  lambda n: ("exclude", "exc_topic") if n < 4 else ("include", "")) == 10
    review_py("run", str(review), *until, cwd=elsewhere)
    assert decide(screen / "to_screen_full_text.csv", ann,
                  lambda n: [("exclude", "exc_not_retrieved"), ("exclude", "exc_design")][n] if n < 2
                  else ("include", "")) == 6
    review_py("run", str(review), cwd=elsewhere)

    counts = json.loads((review / "data/processed/prisma/counts.json").read_text(encoding="utf-8"))
    assert counts["records_total"] == 10
    assert {box: n for box, n in counts["boxes"].items() if n} == {"ta_excluded": 4, "not_retrieved": 1,
                                                                   "ft_excluded": 1, "included": 4}
    assert counts["eligibility"]["excluded_by_reason"] == {"exc_design": 1}
    assert counts["included"]["studies"] == 4
    for stage in ("title_abstract", "full_text"):
        assert (screen / f"to_screen_{stage}.csv").read_text(encoding="utf-8").count("\n") == 1  # header only
    assert (review / "figures/prisma_flow.svg").stat().st_size > 1000
    assert (review / "data/processed/report/index.html").is_file()


@pytest.mark.parametrize("break_it, error", [
    (lambda review: (review / "data/raw/exports/example1.nbib").unlink(),
     "ERROR: config.yaml:{path_line}: sources[0].path: export file 'data/raw/exports/example1.nbib' not found; check the path "
     "(relative to the folder of config.yaml) or add the file"),
    (lambda review: (review / "data/raw/decisions/screening/ann.csv").mkdir(),
     "ERROR: data/raw/decisions/screening/ann.csv: is not a regular file; move it away; the pipeline reads this "
     "path as a CSV file"),
], ids=["missing-export", "folder-named-like-a-decision-file"])
def test_a_broken_review_folder_is_one_error_line_before_the_workflow_starts(shared_data, tmp_path, break_it, error):
    review_py("init", "my-review", str(shared_data / EXPORT), cwd=tmp_path)
    config = (tmp_path / "my-review/config.yaml").read_text(encoding="utf-8")
    error = error.format(path_line=next(n for n, line in enumerate(config.splitlines(), 1) if "path:" in line))
    break_it(tmp_path / "my-review")
    result = subprocess.run([sys.executable, str(REPO / "review.py"), "run", "my-review"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 2
    assert {line for line in output.splitlines() if line.startswith("ERROR")} == {error}
    assert "Exception" not in output and "Traceback" not in output and "rule " not in output


def test_a_stage_that_refuses_a_decision_shows_its_error_not_snakemakes_report(shared_data, tmp_path):
    review_py("init", "my-review", str(shared_data / EXPORT), cwd=tmp_path)
    (tmp_path / "my-review/data/raw/decisions/screening/ann.csv").write_text(
        "key,stage,decision,reason\nnokey,title_abstract,include,\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(REPO / "review.py"), "run", "my-review"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 2
    assert {line for line in output.splitlines() if line.startswith("ERROR")} == {
        "ERROR: data/raw/decisions/screening/ann.csv:2: key 'nokey' matches no record or study; use a record_key "
        "or a study_id from the deduplicate stage's records.csv or studies.csv; if the "
        "record left the exports, delete the row"}
    for snakemake_text in ("Exception", "Error in rule", "WorkflowError", "Traceback"):
        assert snakemake_text not in output
    assert "Snakemake's report of the failed job: " in output
