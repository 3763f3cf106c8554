"""Block: candidate pairs from shared blocking keys, never all pairs.

Each blocking key is a function of one prep row: DOI, record_key, the first and the last
``TITLE_WORDS`` title words (a changed opening or ending still meets the other), the first words
of either the title or the alternative (bracketed original-language) title, first author + year,
volume + first page + year (for titles that differ throughout, e.g. translations), and the
Cochrane review number (versions of a review whose title changed).

Records that share a key value form a block. A block of up to ``MAX_BLOCK`` records gives all
its pairs; a larger one (a common surname and year, a stock title opening) gives only the pairs
within a sliding window of ``WINDOW`` records after sorting it by title (the sorted-neighbourhood
method), so the number of candidates grows linearly with the number of records. Pairs are
positions ``a < b`` in the prep frame. Adding a blocking key is adding an entry to BLOCKING_KEYS.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.dedup import prep as p

POS_A = "pos_a"
POS_B = "pos_b"
MAX_BLOCK = 200
WINDOW = 25
TITLE_WORDS = 4


def _words(titles: pd.Series, taken: slice) -> pd.Series:
    """The ``taken`` words of each title, space-joined."""
    return pd.Series([" ".join(title.split()[taken]) for title in titles.to_numpy(dtype=object)], index=titles.index,
                     dtype=object)


def _title_head(frame: pd.DataFrame) -> pd.Series:
    return _words(frame[p.TITLE], slice(TITLE_WORDS))


def _title_tail(frame: pd.DataFrame) -> pd.Series:
    return _words(frame[p.TITLE], slice(-TITLE_WORDS, None))


def _either_title_head(frame: pd.DataFrame) -> pd.Series:
    """The title's first words and, for a record with an alternative title, also that title's: a
    record's original-language title meets the other record's title."""
    alternative = _words(frame[p.ALT_TITLE], slice(TITLE_WORDS))
    with_alternative = np.flatnonzero(alternative.to_numpy(dtype=object) != "")
    if not len(with_alternative):
        return pd.Series([], dtype=object)
    return pd.concat([_title_head(frame), alternative.iloc[with_alternative]])


def _family_year(frame: pd.DataFrame) -> pd.Series:
    known = (frame[p.FAMILY] != "") & (frame[p.YEAR] >= 0)
    return (frame[p.FAMILY] + " " + frame[p.YEAR].astype(str)).where(known, "")


def _volume_page_year(frame: pd.DataFrame) -> pd.Series:
    known = (frame[p.VOLUME] != "") & (frame[p.PAGE_START] != "")
    return (frame[p.VOLUME] + " " + frame[p.PAGE_START] + " " + frame[p.YEAR].astype(str)).where(known, "")


BLOCKING_KEYS: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    ("doi", lambda frame: frame[p.DOI]),
    ("record_key", lambda frame: frame[p.RECORD_KEY]),
    ("title_head", _title_head),
    ("title_tail", _title_tail),
    ("either_title_head", _either_title_head),
    ("family_year", _family_year),
    ("volume_page_year", _volume_page_year),
    ("cochrane", lambda frame: frame[p.COCHRANE]),
)


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by sorting: numpy 2's ``unique`` hashes, which is many times slower on
    millions of integers."""
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered


def _pairs_windowed(members: np.ndarray, titles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs within ``WINDOW`` neighbours of a large block sorted by title, then position."""
    order = np.array(sorted(members, key=lambda position: (titles[position], position)), dtype=np.int64)
    firsts, seconds = [], []
    for offset in range(1, min(WINDOW, len(order) - 1) + 1):
        firsts.append(order[:-offset])
        seconds.append(order[offset:])
    left, right = np.concatenate(firsts), np.concatenate(seconds)
    return np.minimum(left, right), np.maximum(left, right)


def block_pairs(frame: pd.DataFrame, key: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (first positions, second positions) of records sharing a non-empty ``key``.

    ``key`` is indexed by prep position; a position may carry several values (several rows).
    Blocks of one size are paired together: their members form a matrix whose upper-triangle
    column pairs are the pairs. A pair may come out with its positions in either order, or twice.
    """
    values = key.to_numpy(dtype=object)
    positions = key.index.to_numpy(dtype=np.int64)
    present = np.flatnonzero(values != "")
    codes = pd.factorize(values[present])[0]
    order = np.argsort(codes, kind="stable")
    members = positions[present[order]]  # grouped by block
    sizes = np.bincount(codes) if len(codes) else np.array([], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    titles = frame[p.TITLE].to_numpy(dtype=object)
    firsts: list[np.ndarray] = [np.array([], dtype=np.int64)]
    seconds: list[np.ndarray] = [np.array([], dtype=np.int64)]
    for size in sorted_distinct(sizes[sizes > 1]):
        blocks = np.flatnonzero(sizes == size)
        if size <= MAX_BLOCK:
            matrix = members[starts[blocks][:, None] + np.arange(size)]
            upper_a, upper_b = np.triu_indices(size, k=1)
            firsts.append(matrix[:, upper_a].ravel())
            seconds.append(matrix[:, upper_b].ravel())
            continue
        for block in blocks:
            first, second = _pairs_windowed(members[starts[block]:starts[block] + size], titles)
            firsts.append(first)
            seconds.append(second)
    return np.concatenate(firsts).astype(np.int64), np.concatenate(seconds).astype(np.int64)


def candidate_pairs(frame: pd.DataFrame, forced: pd.DataFrame | None = None) -> pd.DataFrame:
    """Unique candidate pairs over every blocking key, plus ``forced`` pairs; sorted."""
    parts = [block_pairs(frame, make_key(frame)) for _, make_key in BLOCKING_KEYS]
    if forced is not None and len(forced):
        parts.append((forced[POS_A].to_numpy(dtype=np.int64), forced[POS_B].to_numpy(dtype=np.int64)))
    size = max(len(frame), 1)
    firsts = np.concatenate([first for first, _ in parts])
    seconds = np.concatenate([second for _, second in parts])
    distinct = firsts != seconds
    low, high = np.minimum(firsts, seconds)[distinct], np.maximum(firsts, seconds)[distinct]
    combined = sorted_distinct(low * size + high)
    return pd.DataFrame({POS_A: combined // size, POS_B: combined % size})
