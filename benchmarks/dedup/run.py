"""Score this pipeline's deduplication and bib-dedupe's on every benchmark set, side by side.

    .venv/bin/python benchmarks/dedup/run.py [--data ../shared/data/dedup] [--sets stroke srsr]

bib-dedupe runs in its own virtual environment, built on first use outside the repository
(``$XDG_CACHE_HOME/evidence-pipeline/bib-dedupe-venv``, default ``~/.cache/...``; ``--venv``
to choose another) with ``pip install bib-dedupe==BIB_DEDUPE_VERSION``; this pipeline runs with
the Python that runs this script. Per set, each tool runs in a child process of its own
(:mod:`worker`), one after the other, with automatic decisions only; the parent times the child and
reads its peak resident memory (``ru_maxrss`` from ``wait4``: the largest single process in the
child's tree, so bib-dedupe's worker processes count by their own peak, not summed). Both tools'
clusters are scored by :func:`score.score`. Results go to ``results.json`` and ``RESULTS.md``
beside this script (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
from score import pooled, score  # noqa: E402  (a script beside this one, not a package)

BIB_DEDUPE_VERSION = "0.11.0"
TOOLS = ("bib-dedupe", "ours")
COMMAND = ".venv/bin/python benchmarks/dedup/run.py"
COMPANIONS = ("LOSO.md", "CORRUPT.md", "SCALE.md")  # written by loso.py, corrupt.py and scale.py
log = logging.getLogger("benchmarks.dedup")


def default_venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "evidence-pipeline" / "bib-dedupe-venv"


def ensure_venv(venv: Path) -> Path:
    """The Python of a virtual environment holding bib-dedupe, created when missing."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('bib-dedupe'))"]
    if python.is_file():
        found = subprocess.run(check, capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip() == BIB_DEDUPE_VERSION:
            return python
    log.info("building bib-dedupe %s environment in %s", BIB_DEDUPE_VERSION, venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"bib-dedupe=={BIB_DEDUPE_VERSION}"], check=True)
    return python


def benchmark_sets(data: Path, names: list[str] | None) -> list[Path]:
    """Folders of ``data`` holding records_pre_merged.csv and merged_record_ids.csv, by name."""
    folders = sorted(folder for folder in data.iterdir()
                     if (folder / "records_pre_merged.csv").is_file() and (folder / "merged_record_ids.csv").is_file())
    if names:
        unknown = sorted(set(names) - {folder.name for folder in folders})
        if unknown:
            raise SystemExit(f"ERROR: no benchmark set {', '.join(unknown)} in {data}; "
                             f"choose from {', '.join(folder.name for folder in folders)}")
        folders = [folder for folder in folders if folder.name in names]
    return folders


def run_tool(python: str, tool: str, folder: Path, scratch: Path) -> dict:
    """Run one tool on one set in a child process: its clusters, seconds, wall seconds, peak MiB."""
    out = scratch / f"{folder.name}-{tool}.json"
    command = [python, str(HERE / "worker.py"), tool, str(folder), str(out)]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read() if child.stderr else b""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{tool} failed on {folder.name} (exit {child.returncode}):\n{stderr.decode()[-3000:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result.update(wall_seconds=wall, peak_mib=usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux
    return result


def truth(folder: Path) -> tuple[list[list[str]], list[str]]:
    groups = pd.read_csv(folder / "merged_record_ids.csv", dtype=str, keep_default_na=False)["merged_ids"]
    ids = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False, usecols=["ID"])["ID"]
    return [group.split(";") for group in groups if group], ids.tolist()


def _companion(name: str) -> dict:
    path = HERE / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def acceptance(report: dict) -> list[str]:
    """The acceptance checks of the held-out, damage, speed and scale benchmarks, one row each."""
    rows = []
    loso = _companion("loso.json")
    for name, row in loso.get("sets", {}).items():
        held, bib = row["held_out"], row.get("bib_dedupe") or {}
        ok = held["fp"] == 0 and held["tp"] >= bib.get("tp", 0)
        rows.append(f"| {name} held out | FP {held['fp']}, sensitivity {held['sensitivity']:.4f} (bib-dedupe "
                    f"{bib.get('sensitivity', float('nan')):.4f}) | FP 0, sensitivity >= bib-dedupe's | "
                    f"{'yes' if ok else 'no'} | `{loso['command']}` |")
    corrupt = _companion("corrupt.json")
    for kind, row in corrupt.get("kinds", {}).items():
        ok = row["false_merges"] == 0 and row["points_lost"] <= 1.0
        rows.append(f"| damage: {kind} | {row['false_merges']} false merges, {row['points_lost']:.2f} points of "
                    f"recall lost | 0 false merges, <= 1 point | {'yes' if ok else 'no'} | `{corrupt['command']}` |")
    srsr = report["sets"].get("srsr")
    if srsr and "bib-dedupe" in srsr:
        ratio = srsr["bib-dedupe"]["seconds"] / srsr["ours"]["seconds"]
        memory = srsr["ours"]["peak_mib"] / srsr["bib-dedupe"]["peak_mib"]
        rows.append(f"| srsr speed | {ratio:.1f}x faster ({srsr['ours']['seconds']:.1f} s vs "
                    f"{srsr['bib-dedupe']['seconds']:.1f} s) | >= 25x | {'yes' if ratio >= 25 else 'no'} | "
                    f"`{report['command']}` |")
        rows.append(f"| srsr memory | {memory:.2f} of bib-dedupe's ({srsr['ours']['peak_mib']:.0f} vs "
                    f"{srsr['bib-dedupe']['peak_mib']:.0f} MiB) | <= 0.20 | {'yes' if memory <= 0.2 else 'no'} | "
                    f"`{report['command']}` |")
    scale = _companion("scale.json")
    if scale:
        stages = scale["stages"].values()
        total, peak = sum(stage["wall_seconds"] for stage in stages), max(stage["peak_mib"] for stage in stages)
        gap = max(stage["progress_gap"] for stage in stages)
        rows.append(f"| {scale['records']:,} records | {total:.0f} s, peak {peak} MiB, FP {scale['score']['fp']}, "
                    f"sensitivity {scale['score']['sensitivity']:.4f} | <= 600 s, <= 8192 MiB | "
                    f"{'yes' if total <= 600 and peak <= 8192 else 'no'} | `{scale['command']}` |")
        rows.append(f"| progress lines | longest silence {gap:.0f} s | <= 10 s | {'yes' if gap <= 10 else 'no'} | "
                    f"`{scale['command']}` |")
    if not rows:
        return []
    return ["## Acceptance (issue 12)", "", "| check | measured | bar | met | command |", "|---|---|---|---|---|",
            *rows, ""]


def markdown(report: dict) -> str:
    """RESULTS.md: the acceptance checks, one table per set, the pooled scores and the srsr time ratio,
    then the companion benchmarks' results."""
    lines = ["# Deduplication benchmark: this pipeline vs bib-dedupe", "",
             f"Run {report['date']} on {report['machine']} with `{report['command']}`; bib-dedupe "
             f"{report['bib_dedupe_version']} in its own environment. Automatic decisions only (maybe pairs "
             "left unmerged). Record-level counts as in bib-dedupe's evaluation (see benchmarks/dedup/score.py): "
             "TP = duplicate correctly removed, FP = distinct study wrongly removed, FN = extra copy left in. "
             "Seconds: from records read to clusters made, inside the child process; wall: the whole child "
             "process. Peak MiB: ru_maxrss of the child process tree's largest process (bib-dedupe uses one "
             "worker process per core; this pipeline two forked processes for prep and pair comparison).", "",
             *acceptance(report)]
    header = "| tool | TP | FP | FN | sensitivity | precision | F1 | seconds | wall s | peak MiB |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for name, entry in report["sets"].items():
        first = entry[TOOLS[0]]
        lines += [f"## {name}: {first['records']} records, {first['true_duplicates']} true duplicates", "",
                  header, rule]
        for tool in TOOLS:
            row = entry[tool]
            lines.append(f"| {tool} | {row['tp']} | {row['fp']} | {row['fn']} | {row['sensitivity']:.4f} | "
                         f"{row['precision']:.4f} | {row['f1']:.4f} | {row['seconds']:.1f} | "
                         f"{row['wall_seconds']:.1f} | {row['peak_mib']:.0f} |")
        lines.append("")
    lines += ["## All sets pooled", "", "| tool | records | TP | FP | FN | sensitivity | precision | F1 |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for tool in TOOLS:
        row = report["pooled"][tool]
        lines.append(f"| {tool} | {row['records']} | {row['tp']} | {row['fp']} | {row['fn']} | "
                     f"{row['sensitivity']:.4f} | {row['precision']:.4f} | {row['f1']:.4f} |")
    if "srsr" in report["sets"]:
        srsr = report["sets"]["srsr"]
        lines += ["", f"srsr time: bib-dedupe {srsr['bib-dedupe']['seconds']:.1f} s, this pipeline "
                      f"{srsr['ours']['seconds']:.1f} s: {srsr['bib-dedupe']['seconds'] / srsr['ours']['seconds']:.1f}"
                      f"x faster (wall {srsr['bib-dedupe']['wall_seconds'] / srsr['ours']['wall_seconds']:.1f}x); "
                      f"peak memory {srsr['ours']['peak_mib']:.0f} MiB against {srsr['bib-dedupe']['peak_mib']:.0f} MiB "
                      f"({srsr['ours']['peak_mib'] / srsr['bib-dedupe']['peak_mib']:.2f} of it)."
                      + (f" Load average (1, 5, 15 min) when the run began: {report['load']}." if "load" in report else "")]
    for other in COMPANIONS:  # the other benchmarks' latest results, so that RESULTS.md holds every number
        path = HERE / other
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            lines += ["", "#" + text if text.startswith("# ") else text]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "dedup")
    parser.add_argument("--sets", nargs="*", help="only these sets (default: every set in --data)")
    parser.add_argument("--venv", type=Path, default=default_venv())
    parser.add_argument("--render", action="store_true",
                        help="only write RESULTS.md again from results.json and the companion results")
    parser.add_argument("--tools", nargs="*", choices=TOOLS, default=list(TOOLS),
                        help="only these tools (a run without bib-dedupe prints its scores and writes nothing)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.json and RESULTS.md")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/evidence-pipeline-dedup-benchmark"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    if args.render:
        report = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
        (args.out / "RESULTS.md").write_text(markdown(report), encoding="utf-8")
        return 0
    if not args.data.is_dir():
        raise SystemExit(f"ERROR: benchmark data folder {args.data} not found; pass --data")
    tools = [tool for tool in TOOLS if tool in args.tools]
    pythons = {"bib-dedupe": str(ensure_venv(args.venv)) if "bib-dedupe" in tools else "", "ours": sys.executable}
    args.scratch.mkdir(parents=True, exist_ok=True)
    report: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "command": COMMAND + (f" --sets {' '.join(args.sets)}" if args.sets else ""),
                    "bib_dedupe_version": BIB_DEDUPE_VERSION, "load": [round(value, 2) for value in os.getloadavg()],
                    "sets": {}}
    for folder in benchmark_sets(args.data, args.sets):
        groups, ids = truth(folder)
        entry = {}
        for tool in tools:
            run = run_tool(pythons[tool], tool, folder, args.scratch)
            entry[tool] = {**score(run["clusters"], groups, ids), "seconds": run["seconds"],
                           "wall_seconds": run["wall_seconds"], "peak_mib": run["peak_mib"]}
            log.info("%s %s: FP %d, sensitivity %.4f, F1 %.4f, %.1f s, %.0f MiB", folder.name, tool,
                     entry[tool]["fp"], entry[tool]["sensitivity"], entry[tool]["f1"], run["seconds"], run["peak_mib"])
        report["sets"][folder.name] = entry
    if tools != list(TOOLS):
        return 0
    report["pooled"] = {tool: pooled(entry[tool] for entry in report["sets"].values()) for tool in TOOLS}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "RESULTS.md").write_text(markdown(report), encoding="utf-8")
    log.info("wrote %s and %s", args.out / "results.json", args.out / "RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
