"""Agreement between two raters: Cohen's kappa, weighted kappa, their tables and intervals.

One function, :func:`from_table`, computes every coefficient from the contingency table of two
raters (rows the first rater, columns the second, categories in the given order):

* Cohen's (1960) kappa for nominal categories (``weights=None``), where only identical ratings agree;
* Cohen's (1968) weighted kappa for ordered categories, with agreement weights
  ``1 - |i - j| / (k - 1)`` (``"linear"``) or ``1 - ((i - j) / (k - 1))**2`` (``"quadratic"``),
  so that a near miss counts as partial agreement. Scaling the weights does not change kappa, so
  these give the values of scikit-learn's ``cohen_kappa_score(weights=...)``.

The standard error is the large-sample one of Fleiss, Cohen & Everitt (1969, Psychological
Bulletin 72:323-327), not assuming kappa is zero; the interval is kappa +- z * SE, cut to [-1, 1]
(with few items the normal approximation reaches past the values kappa can take). Kappa is
undefined when chance alone would give full agreement (both raters used one and the same
category, or no study was rated by both): the result then carries ``kappa=None`` and the reason,
and every writer shows the reason instead of a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

WEIGHTS = (None, "linear", "quadratic")
NOMINAL = "none"  # how a table names unweighted kappa


@dataclass(frozen=True)
class Agreement:
    """Agreement of two raters over the items both rated."""

    categories: tuple[str, ...]
    table: tuple[tuple[int, ...], ...]  # table[i][j]: items the first rater put in i, the second in j
    weights: str  # "none", "linear" or "quadratic"
    n: int
    agree: int  # items on the diagonal
    observed: float  # (weighted) observed agreement
    expected: float  # (weighted) agreement expected by chance from the two raters' margins
    kappa: float | None
    se: float | None
    low: float | None
    high: float | None
    confidence: float
    undefined: str  # why kappa is undefined; "" when it is defined

    def cells(self) -> dict[str, int]:
        """The table as ``{"<first>|<second>": count}``, every pair of categories."""
        return {f"{a}|{b}": self.table[i][j] for i, a in enumerate(self.categories)
                for j, b in enumerate(self.categories)}


def agreement_weights(k: int, weights: str | None) -> list[list[float]]:
    """The k x k agreement weights: 1 on the diagonal, less the further apart two categories are."""
    if weights not in WEIGHTS and weights != NOMINAL:
        raise ValueError(f"weights must be one of {WEIGHTS}, not {weights!r}")
    if weights in (None, NOMINAL) or k == 1:
        return [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    power = 1 if weights == "linear" else 2
    return [[1.0 - (abs(i - j) / (k - 1)) ** power for j in range(k)] for i in range(k)]


def contingency(first: Sequence[str], second: Sequence[str], categories: Sequence[str]) -> list[list[int]]:
    """Counts of (first rater's category, second rater's category) over paired ratings."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} ratings against {len(second)}: the two raters must rate the same items")
    position = {category: index for index, category in enumerate(categories)}
    unknown = sorted({value for value in (*first, *second) if value not in position})
    if unknown:
        raise ValueError(f"ratings {unknown} are not among the categories {list(categories)}")
    table = [[0] * len(categories) for _ in categories]
    for a, b in zip(first, second):
        table[position[a]][position[b]] += 1
    return table


def kappa(first: Sequence[str], second: Sequence[str], categories: Sequence[str],
          weights: str | None = None, confidence: float = 0.95) -> Agreement:
    """Kappa of two raters' paired ratings (``first[i]`` and ``second[i]`` rate the same item)."""
    return from_table(contingency(first, second, categories), categories, weights, confidence)


def from_table(table: Sequence[Sequence[int]], categories: Sequence[str], weights: str | None = None,
               confidence: float = 0.95) -> Agreement:
    """Kappa, its standard error and interval from a square table of counts."""
    k = len(categories)
    if len(table) != k or any(len(row) != k for row in table):
        raise ValueError(f"the table must be {k} x {k}, one row and column per category")
    w = agreement_weights(k, weights)
    n = sum(sum(row) for row in table)
    frozen = tuple(tuple(int(c) for c in row) for row in table)
    agree = sum(frozen[i][i] for i in range(k))
    name = weights or NOMINAL
    if n == 0:
        return Agreement(tuple(categories), frozen, name, 0, 0, math.nan, math.nan, None, None, None, None,
                         confidence, "no item was rated by both")
    rows = [sum(frozen[i]) / n for i in range(k)]
    cols = [sum(frozen[i][j] for i in range(k)) / n for j in range(k)]
    observed = sum(w[i][j] * frozen[i][j] for i in range(k) for j in range(k)) / n
    expected = sum(w[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    if expected >= 1:
        return Agreement(tuple(categories), frozen, name, n, agree, observed, expected, None, None, None, None,
                         confidence, "chance alone gives full agreement (both raters used one and the same "
                                     "category), so kappa is undefined")
    value = (observed - expected) / (1 - expected)
    se = _standard_error(frozen, w, rows, cols, n, value, expected)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Agreement(tuple(categories), frozen, name, n, agree, observed, expected, value, se,
                     max(value - z * se, -1.0), min(value + z * se, 1.0), confidence, "")


def _standard_error(table: tuple[tuple[int, ...], ...], w: list[list[float]], rows: list[float],
                    cols: list[float], n: int, value: float, expected: float) -> float:
    """Fleiss, Cohen & Everitt (1969): the large-sample SE of (weighted) kappa, not assuming kappa = 0."""
    k = len(rows)
    row_weight = [sum(w[i][j] * cols[j] for j in range(k)) for i in range(k)]
    col_weight = [sum(w[i][j] * rows[i] for i in range(k)) for j in range(k)]
    spread = sum(table[i][j] / n * (w[i][j] - (row_weight[i] + col_weight[j]) * (1 - value)) ** 2
                 for i in range(k) for j in range(k))
    variance = (spread - (value - expected * (1 - value)) ** 2) / (n * (1 - expected) ** 2)
    return math.sqrt(max(variance, 0.0))


def fmt(value: float | None, digits: int = 4) -> str:
    """A coefficient as text with ``digits`` decimals; "" for an undefined one."""
    return "" if value is None or math.isnan(value) else f"{value:.{digits}f}"
