"""Ingest speed: records per second and peak memory per export format, one core.

Measures :func:`pipeline.formats.read_export` (decode, detect, parse, build the record frame; not the
file read) on the largest shared file of each format in ``../shared/data`` and on a RIS file of
100,000 records built from ``../shared/data/dedup/srsr/records_pre_merged.csv`` in a temporary
folder (deleted afterwards, never committed). Each file is measured in its own fresh Python process
(a plain single process, so one core), best of ``--repeat`` runs, as wall-clock and as CPU time
(the machine may be shared; CPU time is the steadier number); peak memory is that process's
maximum resident set size (VmHWM), which includes the interpreter and pandas (~100 MB).

    PYTHONPATH=. python benchmarks/ingest/bench.py            # all formats, prints a Markdown table
    PYTHONPATH=. python benchmarks/ingest/bench.py --only ris100k --profile   # cProfile the RIS hot path
    PYTHONPATH=. python benchmarks/ingest/bench.py --only ris100k --python /other/venv/bin/python

The calibration line times the interpreter running this script, not ``--python``'s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
SRSR = SHARED / "dedup" / "srsr" / "records_pre_merged.csv"
RIS_RECORDS = 100_000
_AUTHOR_BOUNDARY = re.compile(r"(?<=\.)(?=[A-Z][a-z])")


def build_ris(target: Path, count: int = RIS_RECORDS) -> int:
    """Write ``count`` RIS records from the srsr set (cycling through its 53,001 rows); returns bytes written."""
    csv.field_size_limit(1 << 24)
    with SRSR.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parts: list[str] = []
    for index in range(count):
        row = rows[index % len(rows)]
        parts.append("TY  - JOUR\n")
        for author in _AUTHOR_BOUNDARY.split(row.get("author") or ""):
            if author.strip():
                parts.append(f"AU  - {author.strip()}\n")
        for tag, column in (("TI", "title"), ("PY", "year"), ("JO", "journal"), ("VL", "volume"),
                            ("IS", "number"), ("SP", "pages"), ("DO", "doi"), ("SN", "isbn"), ("AB", "abstract")):
            value = " ".join((row.get(column) or "").split())
            if value:
                parts.append(f"{tag}  - {value}\n")
        parts.append(f"AN  - {row['ID']}-{index // len(rows)}\nER  - \n\n")
    text = "".join(parts)
    target.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def largest_per_format() -> dict[str, Path]:
    """The largest readable file of each format under ../shared/data (exports and dedup)."""
    import logging

    from pipeline.errors import ExportError
    from pipeline.formats import read_export
    from pipeline.formats.detect import container_kind, detect_format
    from pipeline.formats.encoding import decode, split_lines

    logging.disable(logging.WARNING)
    best: dict[str, Path] = {}
    for path in sorted(p for p in SHARED.rglob("*") if p.is_file()):
        data = path.read_bytes()
        kind = container_kind(data)
        if kind == "xlsx":
            name = "xlsx"
        elif kind:
            continue
        else:
            try:
                name = detect_format(split_lines(decode(data, file=str(path))))
            except ExportError:
                continue
        if not name or (name in best and best[name].stat().st_size >= path.stat().st_size):
            continue
        try:
            read_export(data, file=str(path), source="probe")
        except ExportError:
            continue
        best[name] = path
    return best


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB: Linux's VmHWM (reset by exec, unlike ru_maxrss,
    which a child started by subprocess inherits from its parent), else ru_maxrss."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_one(path: Path, repeat: int, profile: bool) -> dict[str, object]:
    """Read one file ``repeat`` times in this process; best time, records, peak RSS."""
    import logging

    from pipeline.formats import read_export

    logging.disable(logging.WARNING)
    data = path.read_bytes()
    best = best_cpu = float("inf")
    records = 0
    for _ in range(repeat):
        clear_caches()
        start, start_cpu = time.perf_counter(), time.process_time()
        frame = read_export(data, file=path.name, source="bench")
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        records = len(frame)
        del frame
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(read_export, data, file=path.name, source="bench")
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    peak_mb = peak_rss_mb()
    return {"file": str(path), "bytes": len(data), "records": records, "seconds": round(best, 3),
            "records_per_second": round(records / best) if best else 0,
            "cpu_records_per_second": round(records / best_cpu) if best_cpu else 0, "peak_rss_mb": round(peak_mb, 1)}


def clear_caches() -> None:
    """Empty the readers' memo caches (``functools.lru_cache``) so every repeat starts cold."""
    from pipeline import keys
    from pipeline.formats import common

    for module in (common, keys):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="measure only this format (or 'ris100k')")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run to stderr")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that reads the files (its environment needs the project's dependencies); "
                             "default: the one running this script")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(Path(args.one), args.repeat, args.profile)))
        return
    if not SHARED.is_dir():
        raise SystemExit(f"../shared/data not found at {SHARED}; nothing to measure")
    with tempfile.TemporaryDirectory() as folder:
        targets: dict[str, Path] = {}
        if args.only in (None, "ris100k"):
            targets["ris (100,000 built from srsr)"] = Path(folder) / "srsr_100k.ris"
            build_ris(targets["ris (100,000 built from srsr)"])
        if args.only != "ris100k":
            for name, path in largest_per_format().items():
                if args.only in (None, name):
                    targets[name] = path
        rows = []
        for name, path in targets.items():
            command = [args.python, __file__, "--one", str(path), "--repeat", str(args.repeat)]
            if args.profile:
                command.append("--profile")
            environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
            done = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
            if args.profile:
                sys.stderr.write(done.stderr)
            result = json.loads(done.stdout)
            result["format"] = name
            rows.append(result)
    version = subprocess.run([args.python, "-c", "import sys; print(sys.version.split()[0])"], check=True,
                             capture_output=True, text=True).stdout.strip()
    print(f"interpreter: {args.python} (Python {version})")
    print(f"calibration: a 10,000,000-step Python loop takes {calibrate():.2f} s CPU here")
    print("| format | file | records | MB | best wall s | records/s (wall) | records/s (CPU) | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        shown = Path(str(row["file"])).name if "srsr_100k" in str(row["file"]) else (
            str(Path(str(row["file"])).relative_to(SHARED)))
        print(f"| {row['format']} | {shown} | {row['records']:,} | {int(row['bytes']) / 1e6:.1f} | "
              f"{row['seconds']} | {row['records_per_second']:,} | {row['cpu_records_per_second']:,} | "
              f"{row['peak_rss_mb']} |")


def calibrate() -> float:
    """CPU seconds for a fixed pure-Python loop: lets readers scale the numbers to their machine."""
    start = time.process_time()
    total = 0
    for step in range(10_000_000):
        total += step
    return time.process_time() - start


if __name__ == "__main__":
    main()
