"""Replay labelled screening data sets as new reviews, through the public commands only.

    python3 benchmarks/screening/replay.py                 # ADHD, Antihistamines, Kitchenham_2010
    python3 benchmarks/screening/replay.py --sets ADHD --work /tmp/replay

For each set in ../shared/data/screening (ASReview's labelled CSVs): ``review.py init`` a folder
with the CSV as its one export, ``review.py run``; fill the title/abstract queue from the set's
``label_abstract_screening`` (``label_included`` where the set has no abstract label),
``review.py run``; fill the full-text queue from ``label_included``, ``review.py run``; read the
PRISMA counts. A reviewer fills rows the way a person would: by the record ids the queue shows,
never by the pipeline's internal tables. A study of several records takes the label of any of
its records that was included (a duplicate of an included record is the same paper).

The expected counts come from the labels and the queue's own grouping of records into studies,
so the comparison checks screening and PRISMA, not deduplication; how many records the
pipeline merged is reported beside them. Writes RESULTS.md and results.json here.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCREENING = REPO.parent / "shared" / "data" / "screening"
SETS = ["ADHD", "Antihistamines", "Kitchenham_2010"]
RECORD_IN_QUEUE = re.compile(r"[a-z0-9_]+:(\S+) \(")
EXCLUDE_TA, EXCLUDE_FT = "exc_topic", "exc_design"


def review_py(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(REPO / "review.py"), *args], capture_output=True, text=True)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"python3 review.py {' '.join(args)} failed:\n{output[-3000:]}")
    return time.perf_counter() - started, output


def rows_of(name: str) -> list[dict]:
    with (SCREENING / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def labels(name: str) -> dict[str, tuple[bool, bool]]:
    """record_id -> (included at title/abstract, included in the end)."""
    return {row["record_id"]: (row.get("label_abstract_screening", row["label_included"]) == "1",
                               row["label_included"] == "1") for row in rows_of(name)}


def labelled_duplicates(name: str, queue: Path) -> tuple[int, int]:
    """(pairs the set marks as duplicates in duplicate_record_id, of them in one study of the queue)."""
    pairs = [(row["record_id"], row["duplicate_record_id"]) for row in rows_of(name) if row.get("duplicate_record_id")]
    with queue.open(encoding="utf-8", newline="") as handle:
        study = {record: row["key"] for row in csv.DictReader(handle)
                 for record in RECORD_IN_QUEUE.findall(row["records"])}
    return len(pairs), sum(study[a] == study[b] for a, b in pairs)


def fill(queue: Path, decisions: Path, decide) -> list[bool]:
    """Copy the queue's rows into the reviewer's file with ``decide(record ids)`` filled in;
    returns the decisions (True: include)."""
    with queue.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    chosen = []
    for row in rows:
        include = decide(RECORD_IN_QUEUE.findall(row["records"]))
        chosen.append(include)
        row["decision"], row["reason"] = ("include", "") if include else ("exclude", row["stage"] == "full_text"
                                                                           and EXCLUDE_FT or EXCLUDE_TA)
    new = not decisions.exists()
    decisions.parent.mkdir(parents=True, exist_ok=True)
    with decisions.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["key"])
        if new:
            writer.writeheader()
        writer.writerows(rows)
    return chosen


def replay(name: str, work: Path) -> dict:
    folder = work / name.lower()
    label = labels(name)
    seconds = {}
    seconds["init"], _ = review_py("init", str(folder), str(SCREENING / f"{name}.csv"))
    seconds["run 1"], log = review_py("run", str(folder))
    screen = folder / "data/processed/screen"
    reviewer = folder / "data/raw/decisions/screening/replay.csv"
    marked, joined = labelled_duplicates(name, screen / "to_screen_title_abstract.csv")
    ta = fill(screen / "to_screen_title_abstract.csv", reviewer, lambda ids: any(label[i][0] for i in ids))
    seconds["run 2"], _ = review_py("run", str(folder))
    ft = fill(screen / "to_screen_full_text.csv", reviewer, lambda ids: any(label[i][1] for i in ids))
    seconds["run 3"], _ = review_py("run", str(folder))
    counts = json.loads((folder / "data/processed/prisma/counts.json").read_text(encoding="utf-8"))
    boxes = counts["boxes"]
    studies = len(ta)
    expected = {"records_total": len(label), "duplicate": len(label) - studies, "ta_excluded": ta.count(False),
                "ft_excluded": ft.count(False), "included": ft.count(True)}
    got = {"records_total": counts["records_total"], "duplicate": boxes["duplicate"],
           "ta_excluded": boxes["ta_excluded"], "ft_excluded": boxes["ft_excluded"], "included": boxes["included"]}
    pending = boxes["pending_title_abstract"] + boxes["pending_full_text"]
    ingest_line = next((line for line in log.splitlines() if line.startswith("INFO: ingest:")), "")
    return {"set": name, "folder": str(folder), "expected": expected, "pipeline": got, "pending": pending,
            "exact": expected == got and pending == 0,
            "labels": {"records": len(label), "ta_included": sum(a for a, _ in label.values()),
                       "included": sum(b for _, b in label.values())},
            "labelled_duplicate_pairs": {"marked": marked, "in_one_study": joined},
            "ingest": ingest_line.split("INFO: ", 1)[-1], "seconds": {k: round(v, 1) for k, v in seconds.items()}}


def write_results(results: list[dict]) -> None:
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = ["# Labelled screening sets replayed as new reviews", "",
             "    python3 benchmarks/screening/replay.py", "",
             "Each set: `review.py init DIR SET.csv`, `review.py run DIR`, title/abstract queue filled from the "
             "labels, run, full-text queue filled, run (see replay.py). Expected counts: from the labels over "
             "the studies the queue showed; `labels` columns: the set's own record counts.", "",
             "| set | records | labels: TA incl. / incl. | duplicates | TA excluded | FT excluded | included | "
             "pending | exact | seconds (init, 3 runs) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        e, p = r["expected"], r["pipeline"]
        cells = [f"{p[k]}" + ("" if p[k] == e[k] else f" (expected {e[k]})")
                 for k in ("duplicate", "ta_excluded", "ft_excluded", "included")]
        lines.append(f"| {r['set']} | {p['records_total']} | {r['labels']['ta_included']} / {r['labels']['included']} "
                     f"| {' | '.join(cells)} | {r['pending']} | {'yes' if r['exact'] else 'NO'} | "
                     f"{', '.join(str(v) for v in r['seconds'].values())} |")
    lines += ["", "Pairs a set marks as duplicates (`duplicate_record_id`) that the pipeline put in one study:", ""]
    lines += [f"- {r['set']}: {r['labelled_duplicate_pairs']['in_one_study']} of {r['labelled_duplicate_pairs']['marked']}"
              for r in results if r["labelled_duplicate_pairs"]["marked"]]
    lines += ["", "Ingest as logged:", ""] + [f"- {r['set']}: `{r['ingest']}`" for r in results]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=SETS, choices=SETS)
    parser.add_argument("--work", help="folder for the review folders (default: a new temporary folder)")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="replay-"))
    results = [replay(name, work) for name in args.sets]
    write_results(results)
    for r in results:
        print(f"{r['set']}: exact={r['exact']} pipeline={r['pipeline']} expected={r['expected']} "
              f"pending={r['pending']}")
    return 0 if all(r["exact"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
