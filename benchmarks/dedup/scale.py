"""Scale benchmark: a seeded million-record RIS export with known truth, through ingest and deduplicate.

    .venv/bin/python benchmarks/dedup/scale.py [--records 1000000] [--seed 12] [--work /tmp/...]
        [--out benchmarks/dedup]

Build: the shared sets are copied, one set after the other, until ``--records`` are reached. Copy
0 is the first set as it is (the sets overlap: one paper can be in two sets under two answer keys,
so only one set is taken as it is); in copy k > 0 every true study of the set taken (an answer-key
group, or a record in none) becomes another study: a few title words replaced by words of other titles, another first
author, the DOI given a suffix, volume and pages moved. Every record of the study gets the same
change, so the real duplicates of the sets stay duplicates, with their real differences, in every
copy. Each record is then perturbed as exports are (case, a trailing period, or one kind of damage
of ``corrupt.DAMAGE``, each drawn from a generator seeded by ``--seed``). Abstracts are cut to
ABSTRACT_CHARS characters to keep the file near the size of a real export of that many records.

Run: ``python -m pipeline ingest-source`` (with the ingest memory budget raised to the benchmark's
bar of 8 GiB: one file this large is over the default budget, which refuses it with a message) then
``python -m pipeline deduplicate`` in child processes,
each timed (wall) with its peak memory (``ru_maxrss``), their progress lines kept, and the
result scored against the known truth with :func:`score.score`. Writes ``scale.json`` and
``SCALE.md`` (with the machine's load average before and after, since the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from corrupt import DAMAGE  # noqa: E402
from run import benchmark_sets, truth  # noqa: E402
from score import score  # noqa: E402

log = logging.getLogger("benchmarks.dedup.scale")
ABSTRACT_CHARS = 600
PERTURB_SHARE = 0.2  # records given one export perturbation or damage
FIELDS = ["ID", "author", "year", "title", "journal", "volume", "number", "pages", "doi", "abstract"]
_WORD = re.compile(r"[A-Za-z]{4,}")
INGEST_BUDGET = "PIPELINE_INGEST_MEMORY_MB"


def _shift(value: str, by: int) -> str:
    return re.sub(r"\d+", lambda found: str(int(found.group(0)) + by), value) if by else value


def load_sets(data: Path) -> tuple[list[pd.DataFrame], list[str]]:
    """Every shared set's records (FIELDS) with the label of its true study, largest set first."""
    frames = []
    for folder in benchmark_sets(data, None):
        raw = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False)
        raw = raw.reindex(columns=FIELDS, fill_value="")
        groups, _ = truth(folder)
        label = {record: f"{folder.name}:g{number}" for number, group in enumerate(groups) for record in group}
        raw["study"] = [label.get(record, f"{folder.name}:{record}") for record in raw["ID"]]
        frames.append(raw)
    records = pd.concat(frames, ignore_index=True)
    vocabulary = sorted({word.lower() for title in records["title"] for word in _WORD.findall(title)})
    return sorted(frames, key=len, reverse=True), vocabulary


def study_change(study: str, copy: int, vocabulary: list[str], families: list[str], seed: int) -> dict:
    """How copy ``copy`` turns ``study`` into another study (the same for all its records)."""
    rng = random.Random(f"{seed}:{copy}:{study}")
    return {"words": [rng.choice(vocabulary) for _ in range(4)], "positions": [rng.random() for _ in range(4)],
            "family": rng.choice(families), "shift": copy * 7 + rng.randint(1, 5)}


def changed(record: dict, change: dict, copy: int) -> dict:
    out = dict(record)
    words = out["title"].split()
    for word, where in zip(change["words"], change["positions"]):
        if words:
            words[int(where * len(words))] = word.upper() if out["title"].isupper() else word
    out["title"] = " ".join(words)
    author = out["author"]
    first = re.match(r"^([^,\s]+)", author)
    out["author"] = (change["family"] + author[first.end():]) if first else change["family"]
    out["doi"] = f"{out['doi']}.c{copy}" if out["doi"] else ""
    out["volume"] = _shift(out["volume"], change["shift"])
    out["pages"] = _shift(out["pages"], change["shift"] * 13)
    return out


def perturbed(record: dict, rng: random.Random) -> dict:
    if rng.random() >= PERTURB_SHARE:
        return record
    choice = rng.randrange(len(DAMAGE) + 3)
    out = dict(record)
    if choice == 0:
        out["title"] = out["title"].upper()
    elif choice == 1:
        out["title"] = out["title"].lower()
    elif choice == 2:
        out["title"] = out["title"].rstrip(".") + "."
    else:
        out.update(list(DAMAGE.values())[choice - 3](out, rng) or {})
    return out


def ris(record: dict) -> str:
    lines = ["TY  - JOUR", f"TI  - {record['title']}"]
    lines += [f"AU  - {name.strip()}" for name in re.split(r"\s+and\s+", record["author"]) if name.strip()]
    pages = record["pages"]
    bounds = re.match(r"^\s*([A-Za-z]*\d+)\s*-\s*([A-Za-z]*\d+)\s*$", pages)
    page_lines = [f"SP  - {bounds.group(1)}", f"EP  - {bounds.group(2)}"] if bounds else (
        [f"SP  - {pages}"] if pages else [])
    for tag, field in (("PY", "year"), ("JO", "journal"), ("VL", "volume"), ("IS", "number")):
        if record[field]:
            lines.append(f"{tag}  - {record[field]}")
    lines += page_lines
    if record["doi"]:
        lines.append(f"DO  - {record['doi']}")
    if record["abstract"]:
        lines.append(f"AB  - {' '.join(record['abstract'][:ABSTRACT_CHARS].split())}")
    return "\n".join(lines) + "\nER  - \n\n"


def build(data: Path, size: int, seed: int, work: Path) -> tuple[Path, Path]:
    """Write the RIS export and its truth (one study label per record, in file order)."""
    sets, vocabulary = load_sets(data)
    families = sorted({match.group(1) for frame in sets for author in frame["author"]
                       if (match := re.match(r"^([A-Z][a-z]{3,})", author))})
    work.mkdir(parents=True, exist_ok=True)
    export, truth_file = work / f"scale-{size}.ris", work / f"scale-{size}-truth.json"
    labels: list[str] = []
    with export.open("w", encoding="utf-8") as out:
        copy = 0
        while len(labels) < size:
            rng = random.Random(f"{seed}:order:{copy}")
            taken = sets[copy % len(sets)]
            rows, studies = taken.drop(columns=["study"]).to_dict("records"), taken["study"].tolist()
            order = list(range(len(rows)))
            rng.shuffle(order)
            changes: dict[str, dict] = {}
            for index in order:
                if len(labels) == size:
                    break
                record, study = rows[index], studies[index]
                if copy:
                    change = changes.setdefault(study, study_change(study, copy, vocabulary, families, seed))
                    record = changed(record, change, copy)
                out.write(ris(perturbed(record, rng)))
                labels.append(f"{copy}:{study}")
            copy += 1
    truth_file.write_text(json.dumps(labels), encoding="utf-8")
    return export, truth_file


def timed(command: list[str], log_file: Path, env: dict[str, str] | None = None) -> dict:
    """Run ``command`` (stderr to ``log_file``, ``env`` added to the environment): wall seconds, peak
    MiB, progress line gaps."""
    started = time.perf_counter()
    marks, lines = [0.0], []
    with log_file.open("w", encoding="utf-8") as err:
        child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, **(env or {})})
        for line in child.stderr or []:
            marks.append(time.perf_counter() - started)
            lines.append(f"{marks[-1]:7.1f} s  {line.rstrip()}")
            err.write(lines[-1] + "\n")
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ERROR: {' '.join(command)} failed; see {log_file}")
    marks.append(wall)
    return {"command": " ".join(command), "wall_seconds": round(wall, 1), "peak_mib": round(usage.ru_maxrss / 1024),
            "progress_gap": round(max(later - earlier for earlier, later in zip(marks, marks[1:])), 1), "log": lines}


def markdown(report: dict) -> str:
    stages, result = report["stages"], report["score"]
    total = sum(stage["wall_seconds"] for stage in stages.values())
    lines = ["# Scale: a seeded export through ingest and deduplicate", "",
             f"Run {report['date']} with `{report['command']}` (seed {report['seed']}, {report['cores']} cores shared "
             f"with other work; load average (1, 5, 15 min) {report['load_before']} before, {report['load_after']} "
             f"after). Export: {report['records']:,} records, {report['export_mib']} MiB of RIS.", "",
             "| stage | wall s | peak MiB | longest time without a log line (start and end included), s |", "|---|---:|---:|---:|"]
    for name, stage in stages.items():
        lines.append(f"| {name} | {stage['wall_seconds']:.0f} | {stage['peak_mib']} | {stage['progress_gap']:.0f} |")
    lines += ["", f"Total {total:.0f} s, peak {max(stage['peak_mib'] for stage in stages.values())} MiB. Against "
                  f"the known truth: TP {result['tp']}, FP {result['fp']}, FN {result['fn']}, sensitivity "
                  f"{result['sensitivity']:.4f}, precision {result['precision']:.4f}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "dedup")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--work", type=Path, default=Path("/tmp/evidence-pipeline-dedup-scale"))
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--ingest-memory-mb", type=int, default=8192,
                        help=f"the ingest stage's memory budget ({INGEST_BUDGET}); one file of a million records "
                             "is over the default of 4096 MB, the benchmark's bar is 8 GiB")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    started = time.perf_counter()
    export, truth_file = build(args.data, args.records, args.seed, args.work)
    log.info("built %s (%d MiB) in %.0f s", export, export.stat().st_size >> 20, time.perf_counter() - started)
    load_before = os.getloadavg()
    python = sys.executable
    records_csv, dedup_dir = args.work / "records.csv", args.work / "deduplicate"
    stages = {
        "ingest": timed([python, "-m", "pipeline", "ingest-source", "--export", str(export),
                         "--output-records", str(records_csv)], args.work / "ingest.log",
                        {INGEST_BUDGET: str(args.ingest_memory_mb)}),
        "deduplicate": timed([python, "-m", "pipeline", "deduplicate", "--records", str(records_csv),
                              *(arg for name in ("records", "pairs", "maybe", "studies")
                                for arg in (f"--output-{name}", str(dedup_dir / f"{name}.csv")))],
                             args.work / "deduplicate.log"),
    }
    load_after = os.getloadavg()
    labels = json.loads(truth_file.read_text(encoding="utf-8"))
    out = pd.read_csv(dedup_dir / "records.csv", dtype=str, keep_default_na=False, usecols=["record_id", "study_id"])
    ids = [f"r{number}" for number in range(len(labels))]
    by_line = dict(zip(out["record_id"], range(len(out))))
    position = [by_line[f"{export.stem}:{number + 1}"] for number in range(len(labels))]
    study = out["study_id"].to_numpy()[position]
    predicted = pd.Series(ids).groupby(study).agg(list)
    true_groups = pd.Series(ids).groupby(labels).agg(list)
    result = score([group for group in predicted if len(group) > 1], [group for group in true_groups if len(group) > 1],
                   ids)
    report = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "records": args.records,
              "seed": args.seed, "cores": os.cpu_count(), "load_before": load_before, "load_after": load_after,
              "command": f".venv/bin/python benchmarks/dedup/scale.py --records {args.records}",
              "export_mib": export.stat().st_size >> 20, "score": result, "stages": stages}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "SCALE.md").write_text(markdown(report), encoding="utf-8")
    total = sum(stage["wall_seconds"] for stage in stages.values())
    peak = max(stage["peak_mib"] for stage in stages.values())
    log.info("ingest %.0f s %d MiB; deduplicate %.0f s %d MiB; total %.0f s; FP %d, sensitivity %.4f",
             stages["ingest"]["wall_seconds"], stages["ingest"]["peak_mib"], stages["deduplicate"]["wall_seconds"],
             stages["deduplicate"]["peak_mib"], total, result["fp"], result["sensitivity"])
    log.info("peak %d MiB; load average before %s, after %s", peak, load_before, load_after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
