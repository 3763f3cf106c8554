"""Replay labelled reviews through prioritised screening and the stopping rules, beside ASReview.

    python3 benchmarks/screening/simulate.py --asreview /tmp/asreview-venv/bin/asreview
    python3 benchmarks/screening/simulate.py --sets ADHD --seeds 3 --asreview ''   # ours only

Run it with the project's environment (``.venv/bin/python``). ASReview LAB lives in an
environment of its own (``python3 -m venv /tmp/asreview-venv && /tmp/asreview-venv/bin/pip install
asreview``); each of its runs is its ``simulate`` command with its default model, started from the
same two prior records (one include, one exclude, drawn from the seed) as ours.

Per review and seed: our ranking (pipeline.prioritise, the model retrained after every batch of
``--batch`` decisions, the text vectorised once) screens from the two priors on; WSS@95, recall
after 10, 25 and 50% of the records, and for every stopping rule the point it allows stopping
(checked after every batch), the recall reached there and the work saved. The rules also run
on ASReview's order (records after its last include are all excludes, whatever their order).
Labels: ``label_included``. Then the rules on ``--synthetic`` orders per ranking quality drawn
from Wallenius' urn (random, as good as the biased urn assumes, better), where coverage is the
guarantee itself. Writes SIMULATION.md and simulation.json here; the timing of one reorder of
10,000 records goes in as well. ``--from-json`` rewrites SIMULATION.md from simulation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from pipeline import prioritise  # noqa: E402
from pipeline.config import StoppingSettings  # noqa: E402
from pipeline.stopping import p_value  # noqa: E402

SCREENING = REPO.parent / "shared" / "data" / "screening"
SETS = ["ADHD", "Antihistamines", "Kitchenham_2010"]
SHARES = (0.10, 0.25, 0.50)
RULES = {"hypergeometric": StoppingSettings(rule="hypergeometric"),
         "biased_urn_1.5": StoppingSettings(rule="biased_urn", odds=1.5),
         "biased_urn_2": StoppingSettings(rule="biased_urn", odds=2.0),
         "biased_urn_3": StoppingSettings(rule="biased_urn", odds=3.0)}


def load(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(SCREENING / f"{name}.csv", dtype=str, keep_default_na=False)
    studies = pd.DataFrame({"study_id": [f"{row:05d}" for row in range(len(frame))], "title": frame["title"],
                            "abstract": frame["abstract"], "keywords": ""})
    return studies, (frame["label_included"] == "1").to_numpy()


def priors(labels: np.ndarray, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(rng.choice(np.flatnonzero(labels))), int(rng.choice(np.flatnonzero(~labels)))]


def our_order(vectors: prioritise.Vectors, labels: np.ndarray, seed: int, batch: int, until) -> list[int]:
    """Screen from the priors, each batch the top of a model retrained on every decision so far."""
    order = priors(labels, seed)
    seen = np.zeros(len(labels), dtype=bool)
    seen[order] = True
    ids = np.asarray(vectors.study_ids)
    while len(order) < len(labels) and not until(labels[order]):
        known = pd.Series(labels[order].astype(int), index=ids[order])
        score, _, _ = prioritise.scores(vectors, known, seed)
        score = np.where(seen, -np.inf, score)
        top = np.lexsort((ids, -score))[:batch]
        top = top[~seen[top]]
        order.extend(top.tolist())
        seen[top] = True
    return order


def asreview_order(binary: str, name: str, labels: np.ndarray, seed: int, work: Path) -> list[int]:
    project = work / f"{name}-{seed}.asreview"
    if not project.exists():
        command = [binary, "simulate", str(SCREENING / f"{name}.csv"), "--prior-idx",
                   *map(str, priors(labels, seed)), "--seed", str(seed), "-o", str(project)]
        subprocess.run(command, check=True, capture_output=True, cwd=work,  # it leaves a cache file there
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    with zipfile.ZipFile(project) as archive, tempfile.TemporaryDirectory() as tmp:
        archive.extract("results.db", tmp)
        with sqlite3.connect(Path(tmp) / "results.db") as db:
            rows = [row for (row,) in db.execute(
                "select record.dataset_row from results join record using (record_id) order by results.rowid")]
    return rows


def wss(found: np.ndarray, total: int, includes: int, recall: float = 0.95) -> float:
    needed = int(np.ceil(recall * includes - 1e-9))
    screened = int(np.argmax(found >= needed)) + 1
    return (total - screened) / total - (1 - recall)


def stop_point(sequence: np.ndarray, total: int, rule: StoppingSettings, every: int) -> int:
    """Records screened when the rule, checked after every ``every`` records, first allows stopping
    (``total`` if never)."""
    alpha = 1 - rule.confidence
    for screened in [*range(every, total, every), total]:
        if p_value(sequence[:screened], total - screened, rule) < alpha:
            return screened
    return total


def measures(order: list[int], labels: np.ndarray, every: int) -> dict:
    total, includes = len(labels), int(labels.sum())
    # beyond the order's end every record is an exclude (both simulations end past the last include)
    sequence = np.zeros(total, dtype=bool)
    sequence[: len(order)] = labels[order]
    found = np.cumsum(sequence)
    out = {"wss95": round(wss(found, total, includes), 4),
           **{f"recall_at_{int(share * 100)}": round(found[int(share * total) - 1] / includes, 4) for share in SHARES},
           "stops": {}}
    for name, rule in RULES.items():
        at = stop_point(sequence, total, rule, every)
        out["stops"][name] = {"screened": at, "work_saved": round(1 - at / total, 4),
                              "recall": round(found[at - 1] / includes, 4)}
    return out


def simulate(name: str, seeds: int, batch: int, asreview: str, work: Path) -> list[dict]:
    studies, labels = load(name)
    vectors = prioritise.vectorise(studies)
    # ours runs until each rule has had its say: every include found or the end
    runs = []
    for seed in range(seeds):
        started = time.perf_counter()
        order = our_order(vectors, labels, seed, batch, until=lambda seen: seen.sum() == labels.sum())
        run = {"set": name, "seed": seed, "records": len(labels), "includes": int(labels.sum()),
               "ours": measures(order, labels, batch), "ours_seconds": round(time.perf_counter() - started, 1)}
        if asreview:
            run["asreview"] = measures(asreview_order(asreview, name, labels, seed, work), labels, batch)
        runs.append(run)
        print(name, seed, run["ours"]["wss95"], run.get("asreview", {}).get("wss95"), flush=True)
    return runs


def urn_order(total: int, includes: int, odds: float, rng: np.random.Generator) -> np.ndarray:
    """A screening order drawn from Wallenius' urn: each next record is an include with probability
    odds * includes left / (odds * includes left + excludes left)."""
    sequence = np.zeros(total, dtype=bool)
    left_in, left_out = includes, total - includes
    for position in range(total):
        if left_in and rng.random() < odds * left_in / (odds * left_in + left_out):
            sequence[position], left_in = True, left_in - 1
        else:
            left_out -= 1
    return sequence


def synthetic(runs: int, batch: int, total: int = 1000, includes: int = 20) -> list[dict]:
    """The rules on orders whose ranking quality is known: random (odds 1) and as good as the
    biased urn assumes (1.5) or better (3). Coverage here is the guarantee itself, run by run."""
    out = []
    for true_odds in (1.0, 1.5, 3.0):
        rng = np.random.default_rng(int(true_odds * 1000))
        stops = {name: [] for name in ("hypergeometric", "biased_urn_1.5")}
        for _ in range(runs):
            sequence = urn_order(total, includes, true_odds, rng)
            found = np.cumsum(sequence)
            for name in stops:
                at = stop_point(sequence, total, RULES[name], batch)
                stops[name].append((found[at - 1] / includes, 1 - at / total))
        for name, results in stops.items():
            recall = np.array([r for r, _ in results])
            out.append({"true_odds": true_odds, "rule": name, "runs": runs, "records": total, "includes": includes,
                        "held": int((recall >= 0.95).sum()), "median_work_saved": round(float(np.median(
                            [w for _, w in results])), 4), "min_recall": round(float(recall.min()), 4)})
        print("synthetic", true_odds, flush=True)
    return out


def rank_speed(repeats: int = 5) -> dict:
    """Seconds to reorder 10,000 studies after a batch (vectors kept), and to vectorise them once."""
    frames = [load(name)[0] for name in SETS]
    studies = pd.concat(frames * 5, ignore_index=True).head(10_000)
    studies["study_id"] = [f"s{row:05d}" for row in range(len(studies))]
    labels = np.concatenate([load(name)[1] for name in SETS] * 5)[: len(studies)]
    decided = pd.DataFrame({"study_id": studies["study_id"][:500],
                            "decision": np.where(labels[:500], "include", "exclude")})
    settings = prioritise.RankSettings(seed=0, query="randomized trial software engineering")
    started = time.perf_counter()
    vectors = prioritise.vectorise(studies, settings.query)
    vectorised = time.perf_counter() - started
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        prioritise.rank(studies, decided, settings, vectors)
        times.append(time.perf_counter() - started)
    return {"studies": len(studies), "decisions": len(decided), "reorder_seconds": [round(t, 3) for t in times],
            "reorder_median": round(float(np.median(times)), 3), "vectorise_seconds": round(vectorised, 3)}


def summarise(runs: list[dict], speed: dict, synthetic_runs: list[dict], args: argparse.Namespace) -> str:
    lines = ["# Prioritised screening and stopping, replayed on labelled reviews", "",
             f"    .venv/bin/python benchmarks/screening/simulate.py --seeds {args.seeds} --batch {args.batch}"
             f" --asreview /tmp/asreview-venv/bin/asreview", "",
             f"Seeds 0-{args.seeds - 1}; each run starts from one include and one exclude drawn from the seed; ours "
             f"retrains after every {args.batch} decisions, ASReview LAB (default model, `asreview simulate`) "
             "after every one. WSS@95: work saved over random order at 95% recall. Labels: `label_included`. "
             "The runs of one review differ only in their two priors and end in much the same order, so they "
             "are far from independent: the stopping rules meet a few rankings per review, not ten.", "",
             "## Ranking", "",
             f"ASReview: {args.asreview_version}.", "",
             "| review | records | includes | WSS@95 ours: median (min-max) | ASReview | ours >= ASReview | "
             "recall at 10 / 25 / 50% ours | ASReview |", "|---|---:|---:|---|---|---|---|---|"]
    for name in SETS:
        mine = [r for r in runs if r["set"] == name]
        if not mine:
            continue

        def spread(who: str, key: str) -> str:
            values = [r[who][key] for r in mine if who in r]
            return f"{np.median(values):.3f} ({min(values):.3f}-{max(values):.3f})" if values else "-"

        def recalls(who: str) -> str:
            if who not in mine[0]:
                return "-"
            return " / ".join(f"{np.median([r[who][f'recall_at_{int(s * 100)}'] for r in mine]):.2f}" for s in SHARES)
        theirs = [r["asreview"]["wss95"] for r in mine if "asreview" in r]
        beats = ("yes" if np.median([r["ours"]["wss95"] for r in mine]) >= np.median(theirs) else "NO") if theirs else "-"
        lines.append(f"| {name} | {mine[0]['records']} | {mine[0]['includes']} | {spread('ours', 'wss95')} | "
                     f"{spread('asreview', 'wss95')} | {beats} | {recalls('ours')} | {recalls('asreview')} |")
    lines += ["", f"## Stopping (target recall 95%, confidence 95%, checked after every {args.batch} records)", "",
              "Work saved and recall at the stop point, median (min-max) over the runs; `held`: runs whose "
              "recall at the stop reached the target.", "",
              "| review | order | rule | work saved | recall at stop | held |", "|---|---|---|---|---|---:|"]
    for who in ("ours", "asreview"):
        for name in SETS:
            mine = [r for r in runs if r["set"] == name and who in r]
            for rule in RULES:
                stops = [r[who]["stops"][rule] for r in mine]
                if not stops:
                    continue
                saved = [s["work_saved"] for s in stops]
                recall = [s["recall"] for s in stops]
                held = sum(value >= 0.95 for value in recall)
                lines.append(f"| {name} | {who} | {rule} | {np.median(saved):.3f} ({min(saved):.3f}-{max(saved):.3f}) "
                             f"| {np.median(recall):.3f} ({min(recall):.3f}-{max(recall):.3f}) | {held}/{len(stops)} |")
    lines += ["", "Over every review, seed and order:", ""]
    for rule in RULES:
        stops = [r[who]["stops"][rule] for r in runs for who in ("ours", "asreview") if who in r]
        held = sum(s["recall"] >= 0.95 for s in stops)
        lines.append(f"- {rule}: recall >= 95% in {held} of {len(stops)} runs ({held / len(stops):.0%}); "
                     f"median work saved {np.median([s['work_saved'] for s in stops]):.3f}")
    if synthetic_runs:
        first = synthetic_runs[0]
        lines += ["", "## The guarantee on orders of known quality", "",
                  f"{first['runs']} orders per row of {first['records']} records with {first['includes']} includes, "
                  "drawn from Wallenius' urn at the odds shown (1: random order; 1.5: exactly what the biased urn "
                  f"assumes; 3: a better ranking), the rules checked after every {args.batch} records.", "",
                  "| ranking's odds | rule | recall >= 95% | lowest recall | median work saved |",
                  "|---:|---|---:|---:|---:|"]
        for row in synthetic_runs:
            lines.append(f"| {row['true_odds']:g} | {row['rule']} | {row['held']}/{row['runs']} "
                         f"({row['held'] / row['runs']:.1%}) | {row['min_recall']:.3f} | {row['median_work_saved']:.3f} |")
    lines += ["", "## Reordering speed", "",
              f"One reorder of {speed['studies']:,} studies after a batch ({speed['decisions']} decisions, "
              f"vectors kept between batches, as the workbench keeps them): median {speed['reorder_median']} s "
              f"over {len(speed['reorder_seconds'])} ({', '.join(map(str, speed['reorder_seconds']))}). Vectorising "
              f"the 10,000 texts once: {speed['vectorise_seconds']} s. Machine: 2 cores shared with other work."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=SETS, choices=SETS)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--asreview", default="/tmp/asreview-venv/bin/asreview",
                        help="the asreview command of its own environment ('' to leave it out)")
    parser.add_argument("--work", help="folder for ASReview's project files (kept: a rerun reuses them)")
    parser.add_argument("--from-json", action="store_true", help="rewrite SIMULATION.md from simulation.json")
    parser.add_argument("--synthetic", type=int, default=1000, metavar="RUNS",
                        help="orders of known quality per ranking odds (0: none)")
    parser.add_argument("--synthetic-only", action="store_true",
                        help="only the orders of known quality, into the recorded simulation.json")
    args = parser.parse_args()
    if args.synthetic_only:
        recorded = json.loads((HERE / "simulation.json").read_text(encoding="utf-8"))
        recorded["synthetic"] = synthetic(args.synthetic, recorded.get("batch", args.batch))
        (HERE / "simulation.json").write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")
        args.from_json = True
    if args.from_json:
        recorded = json.loads((HERE / "simulation.json").read_text(encoding="utf-8"))
        runs, speed = recorded["runs"], recorded["rank_speed"]
        args.seeds, args.batch = recorded.get("seeds", args.seeds), recorded.get("batch", args.batch)
        args.asreview_version = recorded.get("asreview_version", "not recorded")
    else:
        work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="simulate-"))
        work.mkdir(parents=True, exist_ok=True)
        args.asreview_version = subprocess.run([args.asreview, "--version"], capture_output=True, text=True,
                                               check=True).stdout.strip() if args.asreview else "not run"
        runs = [run for name in args.sets for run in simulate(name, args.seeds, args.batch, args.asreview, work)]
        speed = rank_speed()
        recorded = {"seeds": args.seeds, "batch": args.batch, "asreview_version": args.asreview_version,
                    "runs": runs, "rank_speed": speed, "synthetic": synthetic(args.synthetic, args.batch)}
        (HERE / "simulation.json").write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")
    (HERE / "SIMULATION.md").write_text(summarise(runs, speed, recorded.get("synthetic", []), args),
                                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
