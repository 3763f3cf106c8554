"""Merge: per cluster the kept record, the study_id, each record's join trail and the study row.

``ordered`` below is the input records sorted by ``record_id`` (the prep frame's order), so a
position indexes the same record in ``ordered``, the prep frame and the cluster labels.
"""

from __future__ import annotations

import hashlib
from collections import deque

import numpy as np
import pandas as pd

from pipeline import columns as col
from pipeline.dedup.block import POS_A, POS_B, sorted_distinct
from pipeline.dedup.match import RULE
from pipeline.io import dumps
from pipeline.keys import family_slug

KEPT_RECORD_ID = "kept_record_id"
RECORD_IDS = "record_ids"
N_RECORDS = "n_records"
PROVENANCE = "provenance"
STUDY_FIELDS = [col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL, col.VOLUME, col.ISSUE, col.PAGES, col.DOI,
                col.ABSTRACT]
STUDY_COLUMNS = [col.STUDY_ID, KEPT_RECORD_ID, RECORD_IDS, N_RECORDS, *STUDY_FIELDS, PROVENANCE]
KEY_PRIORITY = {"doi:": 0, "pmid:": 1, "ref:": 2}
_NO_KEY_PRIORITY = len(KEY_PRIORITY) + 1
_EMPTY = frozenset({"", "[]", "{}", "nan", "None"})


def filled(values: pd.Series) -> np.ndarray:
    """True where a cell has content (an empty JSON list or object counts as empty)."""
    cells = values.to_numpy(dtype=object)
    return np.fromiter((str(cell).strip() not in _EMPTY for cell in cells), dtype=bool, count=len(cells))


def filled_fields(ordered: pd.DataFrame) -> dict[str, np.ndarray]:
    """``filled`` for each of STUDY_FIELDS."""
    return {name: filled(ordered[name]) for name in STUDY_FIELDS}


def completeness(filled_by_field: dict[str, np.ndarray]) -> np.ndarray:
    """Number of non-empty bibliographic fields per record."""
    return np.sum(list(filled_by_field.values()), axis=0).astype(np.int64)


def kept_positions(label: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Per record, the position of its cluster's kept record: most complete, then first by record_id."""
    frame = pd.DataFrame({"label": label, "score": -score, "position": np.arange(len(label))})
    best = frame.sort_values(["label", "score", "position"], kind="stable").drop_duplicates("label")
    return frame["label"].map(best.set_index("label")["position"]).to_numpy(dtype=np.int64)


def join_trail(kept: np.ndarray, joins: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per record, the rule that joined it and the position it was joined to, walking the joins
    outward from each cluster's kept record (breadth first, neighbours by position); the kept
    record and singletons get ("", -1)."""
    size = len(kept)
    neighbours: dict[int, list[tuple[int, str]]] = {}
    for left, right, rule in zip(joins[POS_A].to_numpy(), joins[POS_B].to_numpy(), joins[RULE].to_numpy()):
        neighbours.setdefault(int(left), []).append((int(right), str(rule)))
        neighbours.setdefault(int(right), []).append((int(left), str(rule)))
    rules = np.full(size, "", dtype=object)
    parents = np.full(size, -1, dtype=np.int64)
    for root in sorted_distinct(kept):
        seen = {int(root)}
        queue = deque([int(root)])
        while queue:
            current = queue.popleft()
            for other, rule in sorted(neighbours.get(current, [])):
                if other not in seen:
                    seen.add(other)
                    rules[other] = rule
                    parents[other] = current
                    queue.append(other)
    return rules, parents


def _key_order(key: str, record_id: str) -> tuple[int, str]:
    for prefix, priority in KEY_PRIORITY.items():
        if key.startswith(prefix):
            return priority, key
    return (_NO_KEY_PRIORITY, key) if key else (_NO_KEY_PRIORITY + 1, f"id:{record_id}")


def _short_hash(text: str, length: int) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def study_id_base(family: str, year: int, key: str) -> str:
    """The study_id of a cluster whose canonical key ``key`` is owned by a record with this family
    slug and year, before any clash suffix (see :func:`study_ids`)."""
    return f"{family or family_slug('')}{year if year >= 0 else 'nd'}-{_short_hash(key, 6)}"


def own_study_id(family: str, year: int, key: str, record_id: str) -> str:
    """The study_id a record gives its cluster when it owns the cluster's canonical key (no clash
    suffix): every id a cluster holding this record has had is one of its records' own ids,
    possibly with a clash suffix, as long as the records' keys, first authors and years stay."""
    return study_id_base(family, year, _key_order(key, record_id)[1])


def clash_suffix(first_record_id: str) -> str:
    """What tells apart a cluster whose plain study_id another cluster already has."""
    return f"-{_short_hash(first_record_id, 4)}"


def study_ids(ordered: pd.DataFrame, label: np.ndarray, families: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Per record, its cluster's study_id.

    The canonical key is the cluster's smallest ``record_key`` by (doi: < pmid: < ref:, then
    text); the study_id is ``<first author family slug><year>-<sha1(canonical key)[:6]>`` from
    the record (first by record_id) owning that key. ``families`` are prep's family slugs ("" for
    no author becomes family_slug's "anon"), ``years`` prep's years (-1 becomes "nd").

    Two clusters that would get the same id (they share a canonical key that a veto kept apart)
    are told apart by a suffix hashed from each cluster's first record_id; the first of them by
    (key, first record_id) keeps the plain id.
    """
    record_ids = ordered[col.RECORD_ID].to_numpy()
    keys = ordered[col.RECORD_KEY].fillna("").to_numpy()
    orders = [_key_order(str(key), str(rid)) for key, rid in zip(keys, record_ids)]
    frame = pd.DataFrame({"label": label, "priority": [o[0] for o in orders], "key": [o[1] for o in orders],
                          "position": np.arange(len(label))})
    owners = frame.sort_values(["label", "priority", "key", "position"], kind="stable").drop_duplicates("label")
    owner_positions = owners["position"].to_numpy()
    bases = [study_id_base(families[pos], years[pos], str(key))
             for pos, key in zip(owner_positions, owners["key"].to_numpy())]
    owners = owners.assign(base=bases, first_id=record_ids[owners["label"].to_numpy()])
    owners = owners.sort_values(["base", "key", "first_id"], kind="stable")
    repeat = owners.duplicated("base", keep="first").to_numpy()
    suffixes = np.array([clash_suffix(str(first)) if clash else ""
                         for first, clash in zip(owners["first_id"].to_numpy(), repeat)], dtype=object)
    owners = owners.assign(study_id=owners["base"].to_numpy(dtype=object) + suffixes)
    return frame["label"].map(owners.set_index("label")["study_id"]).to_numpy(dtype=object)


def studies(ordered: pd.DataFrame, label: np.ndarray, study: np.ndarray, kept: np.ndarray,
            filled_by_field: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per study: its records, and each field's best value (the kept record's unless
    empty, else the first non-empty by record_id) with the record it came from."""
    positions = np.arange(len(label))
    record_ids = ordered[col.RECORD_ID].to_numpy(dtype=object)
    clusters, sizes = np.unique(label, return_counts=True)  # label = first position, so sorted
    members = np.split(np.argsort(label, kind="stable"), np.cumsum(sizes)[:-1]) if len(label) else []
    preference = np.lexsort((positions, kept != positions, label))  # per cluster: kept, then by record_id
    table = pd.DataFrame({
        col.STUDY_ID: study[clusters],
        KEPT_RECORD_ID: record_ids[kept[clusters]],
        RECORD_IDS: [";".join(record_ids[group]) for group in members],
        N_RECORDS: [str(len(group)) for group in members],
    })
    provenance: list[dict[str, str]] = [{} for _ in clusters]
    for name in STUDY_FIELDS:
        values = ordered[name].fillna("").astype(str).to_numpy(dtype=object)
        candidates = preference[filled_by_field[name][preference]]
        with_value, first = np.unique(label[candidates], return_index=True)
        rows, sources = np.searchsorted(clusters, with_value), candidates[first]
        best = np.full(len(clusters), "", dtype=object)
        best[rows] = values[sources]
        for row, source in zip(rows.tolist(), record_ids[sources].tolist()):
            provenance[row][name] = source
        table[name] = best
    table[PROVENANCE] = [dumps(sources) for sources in provenance]
    return table.sort_values(col.STUDY_ID, kind="stable")[STUDY_COLUMNS].reset_index(drop=True)
