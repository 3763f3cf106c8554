"""List and classify every true duplicate this pipeline leaves in (FN) on the benchmark sets.

    .venv/bin/python benchmarks/dedup/misses.py [--data ../shared/data/dedup] [--sets stroke srsr]
        [--out misses.csv]

For every answer-key group that our clusters split into k parts, k - 1 copies are left in (the FN
count of :mod:`score`, FP being 0). The parts are joined again, most lenient pair first
(Kruskal over the pipeline's ``pairs`` table: a refused ``duplicate`` join, then ``maybe``, then a
veto, then ``not_similar``); each join is one miss, explained by that pair: its outcome, the rule
that decided it and both records' key fields. A part that no candidate pair reaches is a blocking
miss. Each miss gets a kind:

- ``a``: kept apart by one of the issue's explicit non-duplicate rules (part, notice, protocol,
  conference abstract, DOI, pages in one issue); the ``label`` column then says what the records
  are, so a reader can tell a label conflict (an erratum grouped with its article) from a rule
  that fired wrongly;
- ``b``: never a candidate pair (blocking);
- ``c``: a candidate scored too low: ``maybe`` or ``not_similar``;
- ``d``: anything else: another veto (year gap, volume, issue, venue) or a join refused through a
  third record (``transitive_veto``).

Prints a count per set and kind; ``--out`` writes one row per miss (CSV).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import DedupSettings  # noqa: E402
from pipeline.deduplicate import deduplicate, records_from_benchmark  # noqa: E402
from pipeline.dedup import prep as p  # noqa: E402

# the non-duplicate rules the issue asks for by name
ISSUE_RULES = {"part_numbers_differ", "erratum_or_comment", "conference_vs_journal", "meeting_abstract_vs_article",
               "different_doi", "different_pages", "protocol_vs_results"}
LENIENCY = {"duplicate": 0, "maybe": 1, "distinct": 2}
SHOWN = ["ID", "title", "author", "year", "journal", "booktitle", "volume", "number", "issue", "pages", "doi",
         "ENTRYTYPE"]


def _label(rule: str, left: pd.Series, right: pd.Series) -> str:
    """What the two records are, as far as the issue's rule reads them."""
    if rule == "erratum_or_comment":
        return f"notice {left[p.NOTICE] or 'article'} vs {right[p.NOTICE] or 'article'}"
    if rule == "part_numbers_differ":
        return f"part {left[p.PART]} vs {right[p.PART]}"
    if rule == "protocol_vs_results":
        return f"{left[p.PROTOCOL] or 'results'} vs {right[p.PROTOCOL] or 'results'}"
    if rule in ("conference_vs_journal", "meeting_abstract_vs_article"):
        return (f"{left[p.KIND] or '?'}/{left[p.MEETING_ABSTRACT] or 'article'} vs "
                f"{right[p.KIND] or '?'}/{right[p.MEETING_ABSTRACT] or 'article'}")
    if rule == "different_doi":
        return f"doi {left[p.DOI]} vs {right[p.DOI]}"
    if rule == "different_pages":
        return f"pages {left[p.PAGE_START]}-{left[p.PAGE_END]} vs {right[p.PAGE_START]}-{right[p.PAGE_END]}"
    return ""


def _kind(outcome: str, rule: str) -> str:
    if not rule:
        return "b"
    if rule in ISSUE_RULES:
        return "a"
    if outcome == "maybe" and rule != "transitive_veto" or rule == "not_similar":
        return "c"
    return "d"


def misses(folder: Path) -> pd.DataFrame:
    """One row per copy left in on one benchmark set."""
    raw = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False)
    groups = pd.read_csv(folder / "merged_record_ids.csv", dtype=str, keep_default_na=False)["merged_ids"]
    records = records_from_benchmark(raw, folder.name)
    records_out, pairs, _ = deduplicate(records, DedupSettings())
    prefix = f"{folder.name}:"
    ids = records_out["record_id"].str.removeprefix(prefix)
    study = dict(zip(ids, records_out["study_id"]))
    prepped = p.prep(records.fillna("").astype(str)).assign(ID=lambda f: f[p.RECORD_ID].str.removeprefix(prefix))
    prepped = prepped.set_index("ID")
    shown = raw[[name for name in SHOWN if name in raw.columns]].set_index("ID")
    pairs = pairs.assign(a=pairs["record_id_a"].str.removeprefix(prefix), b=pairs["record_id_b"].str.removeprefix(prefix))
    pairs["lenient"] = pairs["outcome"].map(LENIENCY)
    rows = []
    for number, group in enumerate(g.split(";") for g in groups if g):
        parts = {study[record] for record in group}
        if len(parts) < 2:
            continue
        members = set(group)
        inside = pairs[pairs["a"].isin(members) & pairs["b"].isin(members)]
        inside = inside[[study[x] != study[y] for x, y in zip(inside["a"], inside["b"])]]
        inside = inside.sort_values(["lenient", "title_score"], ascending=[True, False], kind="stable")
        root = {part: part for part in parts}

        def find(part: str) -> str:
            while root[part] != part:
                part = root[part]
            return part

        joined = []
        for row in inside.itertuples(index=False):
            left, right = find(study[row.a]), find(study[row.b])
            if left != right:
                root[right] = left
                joined.append((row.a, row.b, row.outcome, row.rule, float(row.title_score)))
        unreached = sorted({find(part) for part in parts})
        for part in unreached[1:]:  # parts no candidate pair reaches: one record of each vs the group's first
            one = min(record for record in group if find(study[record]) == part)
            other = min(record for record in group if find(study[record]) == unreached[0])
            joined.append((other, one, "", "", float("nan")))
        for left, right, outcome, rule, score in joined:
            rows.append({"set": folder.name, "group": number, "id_a": left, "id_b": right, "outcome": outcome,
                         "rule": rule, "kind": _kind(outcome, rule), "title_score": score,
                         "label": _label(rule, prepped.loc[left], prepped.loc[right]),
                         **{f"{name}_a": shown.at[left, name] for name in shown.columns},
                         **{f"{name}_b": shown.at[right, name] for name in shown.columns}})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "dedup")
    parser.add_argument("--sets", nargs="*")
    parser.add_argument("--out", type=Path, help="write one row per miss to this CSV")
    args = parser.parse_args(argv)
    folders = sorted(folder for folder in args.data.iterdir() if (folder / "merged_record_ids.csv").is_file())
    if args.sets:
        folders = [folder for folder in folders if folder.name in args.sets]
    found = pd.concat([misses(folder) for folder in folders] or [pd.DataFrame()], ignore_index=True)
    if found.empty:
        print("no misses")
        return 0
    counts = found.pivot_table(index="set", columns="kind", values="group", aggfunc="count", fill_value=0)
    counts["FN"] = counts.sum(axis=1)
    print(counts.to_string())
    print()
    print(found.groupby(["kind", "rule"]).size().to_string())
    if args.out:
        found.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
