"""Cluster: connected components over duplicate pairs, respecting vetoes transitively.

Union-find (iterative, path halving, union by size). Duplicate pairs are joined in a fixed
order: by rule precedence, then higher title score, then record_id. Before two clusters are
joined, every veto between a member of one and a member of the other is checked:

- a ``human_different`` veto stops every join, a reviewer's ``same`` included;
- an automatic veto (``different_doi``, ``year_gap``, ...) stops automatic joins, but not a
  reviewer's ``same``.

So A and B that a veto keeps apart are never merged through a third record C; the pair whose
join was refused is reported as a ``maybe`` with rule ``transitive_veto`` for a human to settle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.columns import PairOutcome
from pipeline.dedup.block import POS_A, POS_B
from pipeline.dedup.match import OUTCOME, RANK, RULE, RULE_BY_ID, TITLE_SCORE

TRANSITIVE_VETO = "transitive_veto"


@dataclass(frozen=True)
class Clusters:
    """``label[position]``: the smallest position in the record's cluster; ``joins``: the pairs
    (pos_a, pos_b, rule) that joined clusters, a spanning forest of the clusters."""

    label: np.ndarray
    joins: pd.DataFrame


class _UnionFind:
    def __init__(self, size: int):
        self.parent = list(range(size))
        self.members: dict[int, list[int]] = {}
        self.vetoes: dict[int, dict[int, bool]] = {}  # root -> {position vetoed with a member: hard?}

    def find(self, position: int) -> int:
        parent = self.parent
        while parent[position] != position:
            parent[position] = parent[parent[position]]
            position = parent[position]
        return position

    def add_veto(self, left: int, right: int, hard: bool) -> None:
        for here, there in ((left, right), (right, left)):
            root = self.find(here)
            table = self.vetoes.setdefault(root, {})
            table[there] = table.get(there, False) or hard

    def blocked(self, left_root: int, right_root: int, human: bool) -> bool:
        small, large = sorted((left_root, right_root), key=lambda root: len(self.members.get(root, (root,))))
        table = self.vetoes.get(large, {})
        if not table:
            return False
        for member in self.members.get(small, [small]):
            if member in table and (table[member] or not human):
                return True
        return False

    def union(self, left_root: int, right_root: int) -> None:
        small, large = sorted((left_root, right_root), key=lambda root: (len(self.members.get(root, (root,))), root))
        self.parent[small] = large
        self.members.setdefault(large, [large]).extend(self.members.pop(small, [small]))
        moved = self.vetoes.pop(small, {})
        if moved:
            table = self.vetoes.setdefault(large, {})
            for position, hard in moved.items():
                table[position] = table.get(position, False) or hard


def _reach(size: int, duplicates: pd.DataFrame) -> np.ndarray:
    """Component of every record over all duplicate pairs, vetoes ignored: the most any
    cluster can grow to, so only vetoes inside one such component can matter."""
    forest = _UnionFind(size)
    for left, right in zip(duplicates[POS_A].to_numpy(), duplicates[POS_B].to_numpy()):
        left_root, right_root = forest.find(int(left)), forest.find(int(right))
        if left_root != right_root:
            forest.parent[left_root] = right_root
    return np.array([forest.find(position) for position in range(size)], dtype=np.int64)


def cluster(size: int, decided: pd.DataFrame) -> tuple[Clusters, pd.DataFrame]:
    """Cluster ``size`` records over the duplicate pairs of ``decided`` (match output).

    Returns the clusters and ``decided`` with refused joins turned into ``maybe`` /
    ``transitive_veto``.
    """
    forest = _UnionFind(size)
    duplicates = decided[decided[OUTCOME] == PairOutcome.DUPLICATE.value]
    reach = _reach(size, duplicates)
    is_veto = decided[RULE].isin([rule.id for rule in RULE_BY_ID.values() if rule.veto]).to_numpy(copy=True)
    is_veto &= reach[decided[POS_A].to_numpy()] == reach[decided[POS_B].to_numpy()]
    vetoes = decided.loc[is_veto]
    for left, right, rule in zip(vetoes[POS_A].to_numpy(), vetoes[POS_B].to_numpy(), vetoes[RULE].to_numpy()):
        forest.add_veto(int(left), int(right), RULE_BY_ID[rule].human)
    duplicates = duplicates.assign(_score=-duplicates[TITLE_SCORE]).sort_values(
        [RANK, "_score", POS_A, POS_B], kind="stable")
    joins: list[tuple[int, int, str]] = []
    refused: list[int] = []
    for row, left, right, rule in zip(duplicates.index, duplicates[POS_A].to_numpy(), duplicates[POS_B].to_numpy(),
                                      duplicates[RULE].to_numpy()):
        left_root, right_root = forest.find(int(left)), forest.find(int(right))
        if left_root == right_root:
            continue
        if forest.blocked(left_root, right_root, RULE_BY_ID[rule].human):
            refused.append(row)
            continue
        forest.union(left_root, right_root)
        joins.append((int(left), int(right), str(rule)))
    roots = np.array([forest.find(position) for position in range(size)], dtype=np.int64)
    first_of_root = pd.Series(np.arange(size)).groupby(roots).transform("min").to_numpy()
    decided = decided.copy()
    decided.loc[refused, OUTCOME] = PairOutcome.MAYBE.value
    decided.loc[refused, RULE] = TRANSITIVE_VETO
    join_frame = pd.DataFrame(joins, columns=[POS_A, POS_B, RULE]) if joins else \
        pd.DataFrame({POS_A: np.array([], dtype=np.int64), POS_B: np.array([], dtype=np.int64),
                      RULE: np.array([], dtype=object)})
    return Clusters(label=first_of_root, joins=join_frame), decided
