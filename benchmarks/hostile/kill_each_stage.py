"""Kill the review with SIGKILL during each stage in turn; the next plain run must finish and write
exactly what a clean run writes.

    python3 benchmarks/hostile/kill_each_stage.py --work /tmp/kill-bench                # the shipped review
    python3 benchmarks/hostile/kill_each_stage.py --review tests/fixtures/review --stages screen
    python3 benchmarks/hostile/kill_each_stage.py --code /tmp/old-checkout ...           # another version

Each case runs in its own copy of a checkout (``review.py``, ``Snakefile``, ``pipeline/``) holding the
review (``config.yaml`` and ``data/raw``), sharing this checkout's ``.venv``. A clean run gives the
reference outputs and each stage's duration. Then, per stage, ``python3 review.py run`` starts on a
fresh copy; once the stage's job has started (Snakemake marks its outputs as being written), the
script waits a quarter of the stage's clean duration, then freezes the run's whole process tree
(review.py, Snakemake, the job's shell and ``python -m pipeline``) and SIGKILLs it, as a power cut
or the kernel's OOM killer would; the table says whether the stage was still unfinished then. The next plain
``python3 review.py run`` must exit 0, and every file under data/processed/ (logs aside) and
figures/ must equal the clean run's byte for byte. Prints one Markdown table row per stage.
Measured, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGES = ["ingest", "deduplicate", "screen", "classify", "audit", "prisma", "tables", "figures", "reconcile", "report"]
CODE_FILES = ["review.py", "Snakefile", "pipeline", "envs", "pyproject.toml", "constraints.txt"]


def make_checkout(code: Path, review: Path, target: Path) -> Path:
    """A copy of ``code``'s workflow holding ``review``'s config and raw data, using this repo's .venv."""
    target.mkdir(parents=True)
    for name in CODE_FILES:
        source = code / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    shutil.copy2(review / "config.yaml", target / "config.yaml")
    shutil.copytree(review / "data" / "raw", target / "data" / "raw")
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def outputs(folder: Path) -> dict[str, bytes]:
    found = {}
    for part in ("data/processed", "figures"):
        for path in sorted((folder / part).rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and not relative.startswith("data/processed/logs/"):
                found[relative] = path.read_bytes()
    return found


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # review.py passes Snakemake's lines on as they come
    return env


def run_review(folder: Path) -> tuple[int, str, float, int]:
    """Exit status, output, seconds and peak resident memory (kB, the largest process of the run)."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen([sys.executable, "review.py", "run"], cwd=folder, env=_environment(),
                                   stdout=output, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        return process.returncode, output.read(), time.monotonic() - started, usage.ru_maxrss


def stage_durations(log: list[tuple[float, str]]) -> dict[str, float]:
    """Seconds from each stage's job announcement (``rule X:``) to Snakemake's ``Finished jobid: N (Rule: X)``."""
    started, durations = {}, {}
    for moment, line in log:
        if match := re.match(r"(?:local)?rule (\w+):", line):
            started[match.group(1)] = moment
        elif (match := re.search(r"Finished jobid: \d+ \(Rule: (\w+)\)", line)) and match.group(1) in started:
            durations[match.group(1)] = moment - started[match.group(1)]
    return durations


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree += children
        frontier = children
    return tree


def unfinished(folder: Path) -> list[str]:
    """The stages whose outputs Snakemake marks as being written (.snakemake/incomplete holds one
    marker per output, named by its path in URL-safe base64)."""
    markers = folder / ".snakemake" / "incomplete"
    stages = set()
    try:
        names = ["".join(path.relative_to(markers).parts) for path in markers.rglob("*") if path.is_file()]
    except OSError:  # a marker removed while listed
        return unfinished(folder)
    for name in names:
        parts = base64.urlsafe_b64decode(name).decode("utf-8").split("/")
        if parts[:2] == ["data", "processed"]:
            stages.add(parts[2])
        else:  # figures/: the PRISMA diagram is the prisma stage's, the rest the figures stage's
            stages.add("prisma" if parts[-1].startswith("prisma_flow") else "figures")
    return sorted(stages)


def kill_during(folder: Path, stage: str, delay: float) -> bool:
    """Start a run; once the stage's job has started (its outputs are marked as being written), wait
    ``delay`` s, freeze the run's whole process tree and SIGKILL it. True when the stage was still
    unfinished at the kill."""
    process = subprocess.Popen([sys.executable, "review.py", "run"], cwd=folder, env=_environment(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while stage not in unfinished(folder) and process.poll() is None:
        time.sleep(0.005)
    time.sleep(delay)
    tree = process_tree(process.pid)
    for pid in tree:  # freeze all first, so that none reacts to another's death
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            pass
    caught = stage in unfinished(folder)
    for pid in process_tree(process.pid) + tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    return caught


def leftovers(folder: Path) -> list[str]:
    """What the killed run left: Snakemake's locks and the stages it left unfinished."""
    locks = [f"lock:{path.name}" for path in sorted((folder / ".snakemake" / "locks").glob("*"))]
    return locks + [f"unfinished:{','.join(unfinished(folder))}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose review.py/Snakefile/pipeline run")
    parser.add_argument("--review", type=Path, default=REPO, help="folder holding config.yaml and data/raw")
    parser.add_argument("--stages", nargs="+", default=STAGES, choices=STAGES)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="kill-each-stage-"))
    shutil.rmtree(work, ignore_errors=True)
    try:
        clean = make_checkout(args.code.resolve(), args.review.resolve(), work / "clean")
        process = subprocess.Popen([sys.executable, "review.py", "run"], cwd=clean, env=_environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started = time.monotonic()
        log = [(time.monotonic(), line) for line in process.stdout]
        process.wait()
        if process.returncode != 0:
            sys.stderr.write("".join(line for _, line in log))
            return 1
        reference = outputs(clean)
        durations = stage_durations(log)
        print(f"clean run: {time.monotonic() - started:.1f} s, {len(reference)} output files; "
              + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in durations.items() if stage in STAGES))
        print()
        print("| killed during | after (s) | stage unfinished at the kill | left behind | next plain run: exit "
              "| time (s) | peak MB | recovery line | outputs equal clean run |")
        print("|---|---|---|---|---|---|---|---|---|")
        for stage in args.stages:
            folder = make_checkout(args.code.resolve(), args.review.resolve(), work / f"killed_{stage}")
            delay = durations.get(stage, 0.0) / 4
            killed = kill_during(folder, stage, delay)
            left = leftovers(folder)
            status, output, seconds, peak = run_review(folder)
            recovery = next((line.strip() for line in output.splitlines() if "interrupted run" in line), "")
            if status != 0:
                recovery = recovery or next((line.strip() for line in output.splitlines()
                                             if re.match(r"ERROR|\w+(Exception|Error)\b", line)), "")
            produced = outputs(folder)
            differing = sorted(path for path in set(reference) | set(produced) if reference.get(path) != produced.get(path))
            same = "yes" if not differing else f"NO: {len(differing)} differ ({', '.join(differing[:3])})"
            print(f"| {stage} | {delay:.1f} | {'yes' if killed else 'no'} | {' '.join(left) or '-'} | {status} | "
                  f"{seconds:.1f} | {peak / 1024:.0f} | {recovery.replace('|', '/')} | {same} |", flush=True)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
