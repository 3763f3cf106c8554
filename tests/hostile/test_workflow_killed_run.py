"""A run killed outright is recovered by the next run of review.py, without --unlock or
--rerun-incomplete, and a folder another run still works in is left alone.

The full attack (a SIGKILL during each of the nine stages, outputs compared byte for byte with a
clean run) is benchmarks/hostile/kill_each_stage.py; here one stage of the fixture review.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from snakemake_runner import REPO, copy_review, outputs  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXPECTED = REPO / "tests" / "fixtures" / "review_expected"
_spec = importlib.util.spec_from_file_location("review_script", REPO / "review.py")
review_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(review_script)


def _call(review: Path) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(review),
            "--cores", "2"]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


def _kill_during(review: Path, stage: str) -> None:
    run = subprocess.Popen(_call(review), cwd=review, env=_environment(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in run.stderr:
        if re.match(rf"(?:local)?rule {stage}:", line):
            break
    markers = review / ".snakemake" / "incomplete"
    deadline = time.monotonic() + 60
    while review_script._unfinished_stages(markers) != [stage] and time.monotonic() < deadline:
        time.sleep(0.01)  # until the job has started: Snakemake marks its outputs as being written
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    run.stderr.close()
    for left in review_script._live_runs(review) or []:  # a job in a process group of its own
        os.kill(int(left.split(":")[0]), signal.SIGKILL)


def test_the_next_run_recovers_from_a_sigkill_during_a_stage(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(review_script, "_environment", _environment)
    review = copy_review(REPO / "tests" / "fixtures" / "review", tmp_path / "review").resolve()
    _kill_during(review, "screen")
    assert list((review / ".snakemake" / "locks").glob("*.lock")), "the kill left no lock; nothing was tested"

    call = review_script._after_interrupted_run(_call(review), review)
    said = capsys.readouterr().out
    assert said == "Recovering from an interrupted run: removed its stale lock; rerunning its unfinished jobs (screen).\n"
    finished = subprocess.run(call, cwd=review, env=_environment(), capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr[-3000:]
    produced = outputs(review)
    for path in sorted(EXPECTED.rglob("*")):
        if path.is_file():
            assert produced[path.relative_to(EXPECTED).as_posix()] == path.read_bytes(), path


def test_a_folder_another_run_works_in_is_left_alone(tmp_path, capsys):
    (tmp_path / ".snakemake" / "locks").mkdir(parents=True)
    (tmp_path / ".snakemake" / "locks" / "0.input.lock").write_text("config.yaml\n")
    other = tmp_path / "snakemake"
    other.write_text("sleep 60\n")
    running = subprocess.Popen(["/bin/sh", str(other)], cwd=tmp_path)
    # between fork and exec the child still shows this test's command line: wait for the exec
    cmdline = Path(f"/proc/{running.pid}/cmdline")
    deadline = time.monotonic() + 10
    while str(other).encode() not in cmdline.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert review_script._after_interrupted_run(["snakemake", "--cores", "1"], tmp_path.resolve()) is None
    finally:
        running.kill()
        running.wait()
    error = capsys.readouterr().err
    assert error.startswith(f"ERROR: {tmp_path.resolve()}: another run of this review is still working (pid {running.pid}:")
    assert error.endswith("wait for it to end (or stop it), then run again\n")
    assert (tmp_path / ".snakemake" / "locks" / "0.input.lock").exists()
