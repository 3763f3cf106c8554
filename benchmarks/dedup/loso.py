"""Leave-one-set-out check of every threshold and duplicate rule on the shared benchmark sets.

    .venv/bin/python benchmarks/dedup/loso.py [--data ../shared/data/dedup] [--out benchmarks/dedup]

Nothing here may be chosen by looking at the set it is scored on. For each shared set held out in
turn, the other sets (the training sets) choose:

- the thresholds (``title_duplicate``, ``title_maybe``, ``max_year_gap`` of
  :class:`pipeline.config.DedupSettings`) from the grid ``GRID``: among the settings with no false
  merge on the training sets, the one nearest the defaults whose true duplicates found are within
  one standard error of the best (the one-standard-error rule: a gain smaller than the noise of
  the count is not worth a less conservative setting; SE = sqrt(TP * (1 - sensitivity)));
- the duplicate rules: with those thresholds, each automatic duplicate rule is switched off in
  turn, and a rule that makes any false merge on the training sets is left out. (Vetoes are the
  issue's explicit non-duplicate rules; they are never dropped to gain recall.)

The held-out set is then scored with what the training sets chose, and with the shipped defaults
and all rules. Pair features do not depend on the settings, so each set's prep, blocking and
features are computed once; each setting only reapplies the rules and clusters. bib-dedupe's
scores are read from ``results.json`` of the last ``run.py`` (the same machine and code), to show
the bar each held-out score must reach. Writes ``loso.json`` and ``LOSO.md`` beside this script.
"""

from __future__ import annotations

import argparse
import itertools
import math
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from pipeline.columns import PairOutcome  # noqa: E402
from pipeline.config import DedupSettings  # noqa: E402
from pipeline.dedup import prep as p  # noqa: E402
from pipeline.dedup.block import candidate_pairs  # noqa: E402
from pipeline.dedup.cluster import cluster  # noqa: E402
from pipeline.dedup.match import RULES, apply_rules, pair_features  # noqa: E402
from pipeline.deduplicate import USED_COLUMNS, records_from_benchmark  # noqa: E402
from run import benchmark_sets, truth  # noqa: E402
from score import score  # noqa: E402

log = logging.getLogger("benchmarks.dedup.loso")
DEFAULT = DedupSettings()
GRID = [DedupSettings(title_duplicate=duplicate, title_maybe=maybe, max_year_gap=gap)
        for duplicate, maybe, gap in itertools.product((93.0, 95.0, 97.0), (80.0, 85.0, 90.0), (0, 1, 2))]
CHECKED_RULES = [rule.id for rule in RULES if rule.outcome == PairOutcome.DUPLICATE and not rule.human]


class PreparedSet:
    """One benchmark set's pair features, ready to be decided under any setting and rule set."""

    def __init__(self, folder: Path) -> None:
        self.name = folder.name
        raw = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False)
        records = records_from_benchmark(raw, self.name)
        frame = p.prep(records[USED_COLUMNS].fillna("").astype(str))
        self.size = len(frame)
        self.ids = frame[p.RECORD_ID].str.removeprefix(f"{self.name}:").to_numpy(dtype=object)
        self.features = pair_features(frame, candidate_pairs(frame))
        self.groups, self.all_ids = truth(folder)
        self._scores: dict[tuple, dict] = {}

    def score(self, settings: DedupSettings, without: tuple[str, ...] = ()) -> dict:
        """Record-level score with ``settings`` and every rule but ``without``."""
        key = (settings, without)
        if key not in self._scores:
            rules = tuple(rule for rule in RULES if rule.id not in without)
            clusters, _ = cluster(self.size, apply_rules(self.features, settings, rules))
            members = pd.Series(self.ids).groupby(clusters.label).agg(list)
            self._scores[key] = score([group for group in members if len(group) > 1], self.groups, self.all_ids)
        return self._scores[key]


def _distance(settings: DedupSettings) -> float:
    return (abs(settings.title_duplicate - DEFAULT.title_duplicate) + abs(settings.title_maybe - DEFAULT.title_maybe)
            + 5 * abs(settings.max_year_gap - DEFAULT.max_year_gap))


def _totals(sets: list[PreparedSet], settings: DedupSettings, without: tuple[str, ...] = ()) -> tuple[int, int]:
    results = [prepared.score(settings, without) for prepared in sets]
    return sum(result["tp"] for result in results), sum(result["fp"] for result in results)


def choose(training: list[PreparedSet]) -> tuple[DedupSettings, tuple[str, ...]]:
    """Thresholds and rules to leave out, chosen on ``training`` alone (see the module docstring)."""
    safe = [(settings, *_totals(training, settings)) for settings in GRID]
    allowed = [(settings, tp) for settings, tp, fp in safe if fp == 0] or [(DEFAULT, 0)]
    best = max(tp for _, tp in allowed)
    duplicates = sum(prepared.score(DEFAULT)["true_duplicates"] for prepared in training)
    error = math.sqrt(best * max(0.0, 1 - best / duplicates)) if duplicates else 0.0
    settings = min((candidate for candidate, tp in allowed if tp >= best - error), key=_distance)
    dropped = tuple(rule for rule in CHECKED_RULES if _totals(training, settings, (rule,))[1]
                    < _totals(training, settings)[1])
    return settings, dropped


def markdown(report: dict) -> str:
    lines = ["# Leave-one-set-out: held-out scores", "",
             f"Run {report['date']} with `{report['command']}`. Each row is one shared set held out: the "
             "thresholds and duplicate rules were chosen on the other sets only (see loso.py), then the "
             "held-out set was scored. `defaults` is the shipped setting scored on the same set. bib-dedupe: "
             "the same set in the last run.py run (results.json). Acceptance: FP 0 and sensitivity at least "
             "bib-dedupe's on every held-out set.", "",
             "| held out | chosen on the others | rules left out | TP | FP | FN | sensitivity | defaults: FP, "
             "sensitivity | bib-dedupe: FP, sensitivity | FP 0 and sensitivity >= bib-dedupe |",
             "|---|---|---|---:|---:|---:|---:|---|---|---|"]
    for name, row in report["sets"].items():
        chosen, held, default, bib = row["chosen"], row["held_out"], row["defaults"], row.get("bib_dedupe")
        bib_text = f"{bib['fp']}, {bib['sensitivity']:.4f}" if bib else "not run"
        passed = held["fp"] == 0 and (bib is None or held["tp"] >= bib["tp"])
        lines.append(f"| {name} | title_duplicate {chosen['title_duplicate']:g}, title_maybe "
                     f"{chosen['title_maybe']:g}, max_year_gap {chosen['max_year_gap']} | "
                     f"{', '.join(row['rules_left_out']) or 'none'} | {held['tp']} | {held['fp']} | {held['fn']} | "
                     f"{held['sensitivity']:.4f} | {default['fp']}, {default['sensitivity']:.4f} | {bib_text} | "
                     f"{'yes' if passed else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "dedup")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    sets = []
    for folder in benchmark_sets(args.data, None):
        log.info("preparing %s", folder.name)
        sets.append(PreparedSet(folder))
    results_file = args.out / "results.json"
    bib = json.loads(results_file.read_text(encoding="utf-8"))["sets"] if results_file.is_file() else {}
    report: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    "command": ".venv/bin/python benchmarks/dedup/loso.py", "grid": [vars(s) for s in GRID],
                    "sets": {}}
    for held_out in sets:
        training = [prepared for prepared in sets if prepared is not held_out]
        settings, dropped = choose(training)
        result = held_out.score(settings, dropped)
        report["sets"][held_out.name] = {
            "chosen": vars(settings), "rules_left_out": list(dropped), "held_out": result,
            "defaults": held_out.score(DEFAULT), "bib_dedupe": bib.get(held_out.name, {}).get("bib-dedupe")}
        log.info("%s held out: %s, left out %s: FP %d, sensitivity %.4f", held_out.name, settings, dropped or "none",
                 result["fp"], result["sensitivity"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loso.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    (args.out / "LOSO.md").write_text(markdown(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
