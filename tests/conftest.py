"""Shared test helpers: where the repository and the shared data live, and how much of the suite runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

import suite

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder, or a visible skip where a clone has none."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not found at {SHARED_DATA}: conformance data is only beside CI's clone")
    return SHARED_DATA


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the end-to-end golden files from this run's outputs (review the diff!)")
    parser.addoption("--full", action="store_true", default=False,
                     help="the full suite: tests marked slow and every Hypothesis example (the default when CI is "
                          "set, as it is on CI)")


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# Examples come from a fixed seed, in the quick suite and the full one alike: a run repeats.
settings.register_profile("suite", derandomize=True, database=None)
settings.load_profile("suite")


def pytest_configure(config: pytest.Config) -> None:
    suite.FULL = bool(config.getoption("--full")) or _on_ci()


def pytest_report_header(config: pytest.Config) -> str:
    if suite.FULL:
        return "suite: full (slow tests and every Hypothesis example)"
    return (f"suite: quick (tests marked slow skipped, Hypothesis examples cut to a {suite.QUICK_SHARE}th); "
            "--full or CI=true runs all of it")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if suite.FULL:
        return
    skip = pytest.mark.skip(reason="slow: runs in the full suite (CI, or python3 review.py test --full)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
