"""Progress of a long stage, logged from a background thread: done, rate and time left.

A stage counts its work with :meth:`Progress.advance` (records read, records prepared, pairs
compared) and names what it is doing with :meth:`Progress.start`; while it runs, a daemon thread
logs one line every ``PROGRESS_SECONDS`` seconds::

    deduplicate: pair features 1,200,000/3,400,000 pairs (35%), 410,000 pairs/s, about 5 s left

so that a long input shows a sign of life at least every 10 seconds even when one step takes a
minute. A run shorter than ``PROGRESS_SECONDS`` logs nothing. Only counts and times are shared
with the thread, so the stage itself stays a pure function of its inputs.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType

PROGRESS_SECONDS = 4.0  # well below 10, so that a line comes every 10 s also across steps and their seams


class Progress:
    """Counts work done in the current step and logs it every ``every`` seconds while open."""

    def __init__(self, stage: str, logger: logging.Logger, every: float = PROGRESS_SECONDS) -> None:
        self.stage, self.logger, self.every = stage, logger, every
        self.step, self.unit, self.total, self.done = "", "records", 0, 0
        self.started = self.step_started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"progress-{stage}", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def start(self, step: str, total: int, unit: str = "records") -> None:
        """Begin a step of ``total`` units (0 when unknown)."""
        self.step, self.total, self.unit, self.done = step, int(total), unit, 0
        self.step_started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += int(count)

    def line(self) -> str:
        """The progress line for now."""
        elapsed = max(time.monotonic() - self.step_started, 1e-9)
        if not self.total and not self.done:  # a step that counts nothing: what it is and how long it has taken
            return (f"{self.stage}: {self.step}, {elapsed:,.0f} s in this step "
                    f"({time.monotonic() - self.started:,.0f} s so far)")
        rate = self.done / elapsed
        counted = f"{self.done:,}/{self.total:,}" if self.total else f"{self.done:,}"
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        if self.total and rate > 0:
            left = f"about {max(self.total - self.done, 0) / rate:,.0f} s left"
        else:
            left = "time left unknown"
        return (f"{self.stage}: {self.step} {counted} {self.unit}{share}, {rate:,.0f} {self.unit}/s, {left} "
                f"({time.monotonic() - self.started:,.0f} s so far)")

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            self.logger.info(self.line())
