"""The memory budget's arithmetic and its search for an over-long line."""

from __future__ import annotations

import pytest

from pipeline.errors import ExportError
from pipeline.formats import budget


@pytest.mark.parametrize(("data", "limit", "expected"), [
    (b"", 8, None),
    (b"short\nlines\nonly\n", 8, None),
    (b"exactly8\nexactly8", 8, None),
    (b"ninechars\nok\n", 8, (1, 9)),
    (b"ok\nok\n" + b"x" * 30 + b"\nok", 8, (3, 30)),
    (b"ok\n" + b"y" * 17, 8, (2, 17)),
    (b"a\rb\r" + b"z" * 12 + b"\r", 8, (1, 12)),  # classic Mac line ends: the line number counts LFs only
    (b"1234567\n" * 1000 + b"12345678\n", 8, None),
    (b"1234567\n" * 1000 + b"123456789\n", 8, (1001, 9)),
], ids=["empty", "short", "at-limit", "first", "middle", "last-unterminated", "cr-only", "many-at-limit",
        "many-then-long"])
def test_long_line(data: bytes, limit: int, expected: tuple[int, int] | None) -> None:
    assert budget.long_line(data, limit) == expected


def test_long_line_agrees_with_splitting_on_generated_data() -> None:
    import random

    chooser = random.Random(13)
    for _ in range(200):
        lines = [b"x" * chooser.choice([0, 1, 5, 9, 10, 11, 40]) for _ in range(chooser.randint(0, 30))]
        data = b"\n".join(lines)
        over = [(number, len(line)) for number, line in enumerate(lines, start=1) if len(line) > 10]
        assert budget.long_line(data, 10) == (over[0] if over else None), data


def test_estimate_and_check() -> None:
    assert budget.estimate(10, 2, 1) == 10 * 6 + 2 * 120 + 2500
    budget.check(10, 2, file="f", budget=budget.estimate(10, 2))
    with pytest.raises(ExportError, match=r"^f:1: the export is too large to read within the memory budget \(0\.0 MB, "
                                          r"2 lines would need about 0 MB; the budget is 0 MB\); split the export"):
        budget.check(10, 2, file="f", budget=budget.estimate(10, 2) - 1)


def test_the_default_budget_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(budget.BUDGET_VARIABLE, raising=False)
    assert budget.budget_bytes() == budget.DEFAULT_BUDGET_MB << 20
    monkeypatch.setenv(budget.BUDGET_VARIABLE, " 16000 ")
    assert budget.budget_bytes() == 16000 << 20
