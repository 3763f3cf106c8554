"""A process writing a reviewer's decisions is killed (SIGKILL) at moments spread over its work:
every decision it acknowledged is in the file afterwards, and the file reads as the screen stage
reads it. Appends and replacements (a decision changed) alternate, so a kill can land in either."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.config import load
from pipeline.io import read_table
from pipeline.screen import validate_decisions

CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "config.yaml"
# writes decisions for ever; after each one is saved, prints "<key> <decision>" and flushes
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pipeline.workbench.decisions import Decision, DecisionFile

    target = DecisionFile(Path(sys.argv[1]), "ann")
    start = int(sys.argv[2])
    for number in range(start, start + 100000):
        replace = number % 3 == 2 and number > 3
        key = f"k{number - 2 if replace else number}"
        decision = ["include", "maybe"][number % 2]
        target.save(Decision(key, "title_abstract", decision, "", "ann", "2024-05-01", f"=note {number}, with comma"))
        print(key, decision, flush=True)
""")


@pytest.mark.parametrize("seed", [0, 1, *(pytest.param(seed, marks=pytest.mark.slow) for seed in range(2, 8))])
def test_a_killed_writer_loses_no_acknowledged_decision(tmp_path, seed):
    folder = tmp_path / "screening"
    settings = load(CONFIG)
    chance = random.Random(seed)
    acknowledged: dict[str, str] = {}
    for round_number in range(3):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), str(round_number * 1000)],
                                  stdout=subprocess.PIPE, text=True)
        first = writer.stdout.readline()  # once it writes (importing pandas takes a while)
        time.sleep(chance.random() * 0.3)
        writer.send_signal(signal.SIGKILL)
        out = first + writer.communicate(timeout=20)[0]
        lines = out.splitlines()
        complete = lines if out.endswith("\n") else lines[:-1]  # a line cut by the kill was not acknowledged
        acknowledged.update(line.split(" ", 1) for line in complete)
    assert len(acknowledged) > 3, "the writer was killed before it wrote anything"
    path = folder / "ann.csv"
    rows = validate_decisions(read_table(path, line_numbers=True), str(path), settings, reviewer="ann")
    found = dict(zip(rows["key"], rows["decision"]))
    # a decision saved but killed before its acknowledgement may be there too, never one less (a
    # replacement writes the same decision with a new note, so one not acknowledged still matches)
    assert {key: found.get(key) for key in acknowledged} == acknowledged
    assert rows["note"].str.startswith("=note ").all()
