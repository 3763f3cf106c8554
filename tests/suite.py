"""How much of the suite runs: the quick default, or all of it (under CI, or with --full).

conftest.py sets ``FULL`` before any test module is imported. A property test asks for
``examples(N)``: N examples in the full suite, a tenth of them (at least 10, or N when N is less)
in the quick one. conftest.py has Hypothesis draw them from a fixed seed, so a run repeats.
"""

from __future__ import annotations

FULL = False
QUICK_SHARE = 10
QUICK_FLOOR = 10


def examples(full: int) -> int:
    return full if FULL else max(full // QUICK_SHARE, min(full, QUICK_FLOOR))
