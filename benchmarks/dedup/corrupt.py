"""Corruption benchmark: seeded damage of each kind seen in real exports, recall lost and false merges made.

    .venv/bin/python benchmarks/dedup/corrupt.py [--data ../shared/data/dedup] [--sets stroke srsr]
        [--seed 12] [--out benchmarks/dedup]

For every shared set and every kind of damage in ``DAMAGE``, one record of every true duplicate
group (the answer key's) is damaged, and so is every other record not in any group with
probability ``SINGLE_SHARE`` (to test that damage makes no false merge between distinct studies);
which record, and how, is drawn from a generator seeded by ``--seed``, the set and the kind. A
kind only touches records that have the field it damages (a page range, a DOI, ...). The damaged
set is deduplicated with default settings and no reviewer decisions and scored as run.py does.

Per kind, over all sets: records damaged, true duplicates lost against the clean run (in points
of sensitivity) and false merges made (FP above the clean run's). Acceptance: no kind makes a
false merge, none costs more than 1 point of recall. Writes ``corrupt.json`` and ``CORRUPT.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from pipeline.config import DedupSettings  # noqa: E402
from pipeline.deduplicate import deduplicate, records_from_benchmark  # noqa: E402
from run import benchmark_sets, truth  # noqa: E402
from score import pooled, score  # noqa: E402

log = logging.getLogger("benchmarks.dedup.corrupt")
SINGLE_SHARE = 0.3
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
Damage = Callable[[dict, random.Random], dict | None]  # a record's fields -> damaged fields, None if not applicable


def _range(record: dict) -> tuple[str, str] | None:
    found = _RANGE.match(record.get("pages", ""))
    if not found:
        return None
    start, end = found.groups()
    if len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return (start, end) if int(end) > int(start) else None


def pages_as_date(record: dict, rng: random.Random) -> dict | None:
    """A range typed into a spreadsheet cell comes back as a date: 8-13 -> Aug-13, 4-5 -> 04-May."""
    bounds = _range(record)
    if not bounds:
        return None
    start, end = int(bounds[0]), int(bounds[1])
    if 1 <= start <= 12 and 13 <= end <= 99:
        return {"pages": f"{MONTHS[start - 1]}-{end}"}
    if 1 <= end <= 12 and 1 <= start <= 31:
        return {"pages": f"{start:02d}-{MONTHS[end - 1]}"}
    return None


def no_pagination(record: dict, rng: random.Random) -> dict | None:
    return {"pages": rng.choice(["var.pagings", "(no pagination)"])} if record.get("pages") else None


def year_in_pages(record: dict, rng: random.Random) -> dict | None:
    return {"pages": record["year"]} if record.get("pages") and record.get("year") else None


def range_cut_short(record: dict, rng: random.Random) -> dict | None:
    """2665-2668 exported as 2-8 (first and last digit) or t-8 (a letter for the first page)."""
    bounds = _range(record)
    if not bounds or len(bounds[0]) < 3:
        return None
    return {"pages": f"{rng.choice([bounds[0][0], 't'])}-{bounds[1][-1]}"}


def journal_glued(record: dict, rng: random.Random) -> dict | None:
    """Embase: volume, issue and pages glued to the journal name."""
    if not record.get("journal") or not record.get("volume"):
        return None
    return {"journal": f"{record['journal']}.{record['volume']} ({record.get('number', '')}) ()"
                       f"(pp {record.get('pages', '')})"}


def _names(record: dict) -> list[tuple[str, str]]:
    return [tuple(part.strip() for part in (name.split(",", 1) + [""])[:2])
            for name in re.split(r"\s+and\s+", record.get("author", "")) if name.strip()]


def authors_run_together(record: dict, rng: random.Random) -> dict | None:
    """"Franklin, M. and Hlavacova, N." -> "FranklinM.HlavacovaN."."""
    names = _names(record)
    if not names or not all(given for _, given in names):
        return None
    return {"author": "".join(family + given.replace(" ", "") for family, given in names)}


def compound_family(record: dict, rng: random.Random) -> dict | None:
    """The first author's family name given with a particle and a second family name."""
    names = _names(record)
    if not names:
        return None
    family, given = names[0]
    compound = f"{rng.choice(['De', 'Van', 'Da'])} {rng.choice(['Moraes', 'Souza', 'Berg'])} {family}"
    return {"author": " and ".join(f"{f}, {g}" if g else f for f, g in [(compound, given), *names[1:]])}


def study_group_first(record: dict, rng: random.Random) -> dict | None:
    if not record.get("author"):
        return None
    return {"author": f"{rng.choice(['Stroke Study Group', 'PBC Consortium', 'Trialists Collaborative Group'])} "
                      f"and {record['author']}"}


def title_review_suffix(record: dict, rng: random.Random) -> dict | None:
    return {"title": f"{record['title']}. [Review] [{rng.randint(10, 120)} refs]"} if record.get("title") else None


def title_translated(record: dict, rng: random.Random) -> dict | None:
    return {"title": f"[{record['title'].rstrip('.')} (author's transl)]"} if record.get("title") else None


def doi_tagged(record: dict, rng: random.Random) -> dict | None:
    return {"doi": f"{record['doi']} [doi]"} if record.get("doi") else None


def doi_after_pii(record: dict, rng: random.Random) -> dict | None:
    pii = f"S{rng.randint(1000, 9999)}-{rng.randint(100, 999)}X({rng.randint(10, 99)})00{rng.randint(100, 999)}-1"
    return {"doi": f"{pii} [pii];{record['doi']}"} if record.get("doi") else None


def doi_resolver(record: dict, rng: random.Random) -> dict | None:
    return {"doi": f"http://dx.doi.org/{record['doi']}"} if record.get("doi") else None


DAMAGE: dict[str, Damage] = {
    "pages_as_date": pages_as_date, "no_pagination": no_pagination, "year_in_pages": year_in_pages,
    "range_cut_short": range_cut_short, "journal_glued": journal_glued, "authors_run_together": authors_run_together,
    "compound_family": compound_family, "study_group_first": study_group_first,
    "title_review_suffix": title_review_suffix, "title_translated": title_translated, "doi_tagged": doi_tagged,
    "doi_after_pii": doi_after_pii, "doi_resolver": doi_resolver,
}


def damaged_copy(raw: pd.DataFrame, groups: list[list[str]], kind: str, rng: random.Random) -> tuple[pd.DataFrame, int]:
    """``raw`` with one record of each true group and SINGLE_SHARE of the others damaged by ``kind``."""
    in_group = {record for group in groups for record in group}
    chosen = {rng.choice(sorted(group)) for group in groups}
    chosen |= {record for record in raw["ID"] if record not in in_group and rng.random() < SINGLE_SHARE}
    out = raw.copy()
    damaged = 0
    for row in range(len(out)):
        if out.at[row, "ID"] not in chosen:
            continue
        change = DAMAGE[kind](out.iloc[row].to_dict(), rng)
        for field, value in (change or {}).items():
            if field not in out.columns:
                out[field] = ""
            out.at[row, field] = value
        damaged += bool(change)
    return out, damaged


def run_set(raw: pd.DataFrame, name: str, groups: list[list[str]], ids: list[str]) -> dict:
    records_out = deduplicate(records_from_benchmark(raw, name), DedupSettings())[0]
    members = records_out["record_id"].str.removeprefix(f"{name}:").groupby(records_out["study_id"].to_numpy())
    return score([group for group in members.agg(list) if len(group) > 1], groups, ids)


def markdown(report: dict) -> str:
    lines = ["# Corruption benchmark: recall lost and false merges made, per kind of damage", "",
             f"Run {report['date']} with `{report['command']}` on {', '.join(report['sets'])}. One record of every "
             f"true duplicate group and {SINGLE_SHARE:.0%} of the other records damaged per kind (seed "
             f"{report['seed']}); points = sensitivity lost against the clean run, times 100. Clean: "
             f"TP {report['clean']['tp']}, FP {report['clean']['fp']}, "
             f"sensitivity {report['clean']['sensitivity']:.4f}.",
             "", "| damage | records damaged | TP | FP | recall lost (points) | false merges made | acceptance |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for kind, row in report["kinds"].items():
        ok = row["false_merges"] == 0 and row["points_lost"] <= 1.0
        lines.append(f"| {kind} | {row['damaged']} | {row['tp']} | {row['fp']} | {row['points_lost']:.2f} | "
                     f"{row['false_merges']} | {'yes' if ok else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "dedup")
    parser.add_argument("--sets", nargs="*")
    parser.add_argument("--kinds", nargs="*", choices=sorted(DAMAGE), default=list(DAMAGE))
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    folders = benchmark_sets(args.data, args.sets)
    clean, by_kind = [], {kind: [] for kind in args.kinds}
    damaged = dict.fromkeys(args.kinds, 0)
    for folder in folders:
        raw = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False)
        groups, ids = truth(folder)
        clean.append(run_set(raw, folder.name, groups, ids))
        for kind in args.kinds:
            rng = random.Random(f"{args.seed}:{folder.name}:{kind}")
            copy, count = damaged_copy(raw, groups, kind, rng)
            damaged[kind] += count
            by_kind[kind].append(run_set(copy, folder.name, groups, ids))
            log.info("%s %s: %d damaged, FP %d, TP %d (clean %d)", folder.name, kind, count, by_kind[kind][-1]["fp"],
                     by_kind[kind][-1]["tp"], clean[-1]["tp"])
    base = pooled(clean)
    report: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    "command": ".venv/bin/python benchmarks/dedup/corrupt.py"
                               + (f" --sets {' '.join(args.sets)}" if args.sets else ""),
                    "seed": args.seed, "sets": [folder.name for folder in folders], "clean": base, "kinds": {}}
    for kind in args.kinds:
        total = pooled(by_kind[kind])
        report["kinds"][kind] = {**total, "damaged": damaged[kind],
                                 "points_lost": 100 * (base["sensitivity"] - total["sensitivity"]),
                                 "false_merges": total["fp"] - base["fp"]}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "corrupt.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "CORRUPT.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
