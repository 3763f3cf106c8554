"""Progress lines of long stages (pipeline.progress), as deduplicate and ingest log them."""

from __future__ import annotations

import logging
import time

import pandas as pd

from pipeline import ingest
from pipeline.progress import Progress


def test_progress_logs_done_rate_and_time_left(caplog) -> None:
    logger = logging.getLogger("test.progress")
    with caplog.at_level(logging.INFO, logger="test.progress"):
        with Progress("deduplicate", logger, every=0.05) as progress:
            progress.start("pair comparison", 1000, "pairs")
            progress.advance(250)
            time.sleep(0.3)
    lines = [record.getMessage() for record in caplog.records]
    assert lines, "no progress line in 0.3 s with a 0.05 s interval"
    assert lines[-1].startswith("deduplicate: pair comparison 250/1,000 pairs (25%), ")
    assert "pairs/s" in lines[-1] and "s left" in lines[-1]


def test_a_step_that_counts_nothing_says_what_it_is_and_how_long_it_took() -> None:
    progress = Progress("ingest-source", logging.getLogger("test.progress"))
    progress.start("writing the source's records", 0)
    line = progress.line()
    assert line.startswith("ingest-source: writing the source's records, 0 s in this step (")
    assert "/s" not in line and "unknown" not in line, line


def test_short_run_logs_nothing(caplog) -> None:
    with caplog.at_level(logging.INFO):
        with Progress("ingest", logging.getLogger("test.progress")) as progress:
            progress.start("reading exports", 0)
            progress.advance(3)
    assert not caplog.records
