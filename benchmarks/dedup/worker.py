"""One deduplication run in its own process: ``worker.py TOOL SET_FOLDER OUT_JSON``.

TOOL is ``ours`` (this repository's :mod:`pipeline.deduplicate`, run by the project's Python) or
``bib-dedupe`` (run by the Python of bib-dedupe's own virtual environment). The worker reads the
set's ``records_pre_merged.csv``, deduplicates it with automatic decisions only, and writes the
predicted clusters (lists of the input IDs, singletons left out) and the seconds spent, from the
records read to the clusters made, as JSON. The parent process measures wall time and peak memory.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)


def clusters_ours(records: pd.DataFrame, name: str) -> list[list[str]]:
    """Clusters from this repository's deduplicate, default settings, no human decisions."""
    sys.path.insert(0, str(REPO))
    from pipeline.config import DedupSettings
    from pipeline.deduplicate import deduplicate, records_from_benchmark

    prefix = f"{name}:"
    records_out = deduplicate(records_from_benchmark(records, name), DedupSettings())[0]
    shared = records_out["study_id"].duplicated(keep=False).to_numpy()  # only studies of two or more records
    ids = records_out["record_id"][shared].str.removeprefix(prefix)
    return sorted(ids.groupby(records_out["study_id"][shared].to_numpy()).agg(sorted).tolist())


def clusters_bib_dedupe(records: pd.DataFrame, name: str) -> list[list[str]]:
    """Clusters from bib-dedupe: prep -> block -> match -> cluster, only pairs it labels
    ``duplicate`` (its ``maybe`` pairs would need a human and are left unmerged)."""
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    matched = match(block(prep(records, verbosity_level=0), verbosity_level=0), verbosity_level=0)
    return sorted(sorted(str(member) for member in group) for group in cluster(matched, verbosity_level=0)
                  if len(group) > 1)


TOOLS = {"ours": (clusters_ours, {"dtype": str, "keep_default_na": False}),
         "bib-dedupe": (clusters_bib_dedupe, {})}  # bib-dedupe reads the CSV as its own benchmark does


def main(argv: list[str]) -> int:
    tool, folder, out = argv[1], Path(argv[2]), Path(argv[3])
    run, read_options = TOOLS[tool]
    records = pd.read_csv(folder / "records_pre_merged.csv", **read_options)
    started = time.perf_counter()
    clusters = run(records, folder.name)
    seconds = time.perf_counter() - started
    out.write_text(json.dumps({"tool": tool, "set": folder.name, "records": len(records), "seconds": seconds,
                               "clusters": clusters}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv))
