"""Exports that are not files, bombs that unpack past the memory budget, and records orjson must not see.

The command-line cases run ``python -m pipeline ingest`` in a child process, with a timeout (a FIFO
used to block forever) and the child's own peak memory from ``os.wait4``.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import orjson
import pytest

from pipeline.errors import ExportError
from pipeline.formats import budget, common, read_export

MB = 1 << 20
TINY_TAGS = b"TY  - JOUR\n" + b"A1  - x\n" * (8 * MB // 8) + b"ER  - \n"  # 8 MB of the costliest lines


def run_ingest(export: str, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str, float, int]:
    """(exit status, stderr, seconds, peak RSS in MB) of ``python -m pipeline ingest-source --export FILE``."""
    command = [sys.executable, "-m", "pipeline", "ingest-source", "--export", export,
               "--output-records", os.devnull + ".csv"]
    files = [export]
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, **(env or {})})
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the maximum over all children
        timer.cancel()
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        text = stderr.read().decode()
    if seconds >= timeout:
        pytest.fail(f"ingest {' '.join(files)} was still running after {timeout} s")
    return child.returncode, text, seconds, usage.ru_maxrss // 1024


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ERROR: ")]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "export.ris"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(("target", "what"), [
    ("fifo", "is a named pipe (FIFO), not an export file"),
    ("/dev/zero", "is a character device, not an export file"),
    ("folder", "is a folder, not an export file"),
    ("missing", "export file not found"),
], ids=["fifo", "dev-zero", "folder", "missing"])
def test_only_regular_files_are_read_as_exports(target: str, what: str, tmp_path: Path,
                                                 request: pytest.FixtureRequest) -> None:
    path = {"fifo": lambda: str(request.getfixturevalue("fifo")), "/dev/zero": lambda: "/dev/zero",
            "folder": lambda: str(tmp_path), "missing": lambda: str(tmp_path / "gone.ris")}[target]()
    status, stderr, seconds, _ = run_ingest(path, timeout=30)
    assert status == 2
    assert error_lines(stderr) == [f"ERROR: {path}: {what}; " + error_lines(stderr)[0].split("; ", 1)[1]]
    assert "Traceback" not in stderr and seconds < 30


def test_a_gzip_bomb_is_stopped_at_the_budget_with_bounded_peak_memory(tmp_path: Path) -> None:
    """64 MB of one-tag lines in 64 kB of gzip, under a 64 MB budget: refused after a few MB unpacked."""
    bomb = tmp_path / "bomb.ris.gz"
    bomb.write_bytes(gzip.compress(TINY_TAGS * 8, compresslevel=9))
    assert bomb.stat().st_size < 200_000
    status, stderr, _, peak = run_ingest(str(bomb), env={budget.BUDGET_VARIABLE: "64"})
    assert status == 2, stderr
    assert error_lines(stderr) and error_lines(stderr)[0].startswith(
        f"ERROR: {bomb}:1: the gzip file's content is too large to read within the memory budget")
    assert f"{budget.BUDGET_VARIABLE}=" in error_lines(stderr)[0]
    assert peak < 400, f"peak RSS {peak} MB"  # the interpreter and pandas are about 100 MB of it


def test_a_zip_member_past_the_budget_is_refused_before_it_unpacks(tmp_path: Path) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.ris", TINY_TAGS * 8)
    path = tmp_path / "bomb.zip"
    path.write_bytes(packed.getvalue())
    status, stderr, _, peak = run_ingest(str(path), env={budget.BUDGET_VARIABLE: "64"})
    assert status == 2
    assert error_lines(stderr)[0].startswith(f"ERROR: {path}:1: the zip archive's file is too large to read")
    assert peak < 400, f"peak RSS {peak} MB"


def test_a_plain_file_past_the_budget_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.ris"
    with path.open("wb") as handle:  # sparse: 200 MB claimed, nothing written
        handle.truncate(200 * MB)
    status, stderr, _, peak = run_ingest(str(path), env={budget.BUDGET_VARIABLE: "64"})
    assert status == 2
    assert error_lines(stderr)[0].startswith(f"ERROR: {path}:1: the export is too large to read within the memory "
                                             "budget (200.0 MB would need about 1200 MB; the budget is 64 MB)")
    assert peak < 400


def test_the_costly_lines_count_in_the_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "64")
    with pytest.raises(ExportError, match=r"^tags.ris:1: the export is too large .*\(8\.0 MB, 1048578 lines"):
        read_export(TINY_TAGS, file="tags.ris", source="tags")
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "256")  # the documented way to let it through
    assert len(read_export(TINY_TAGS, file="tags.ris", source="tags")) == 1


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_budget_that_is_not_a_number_of_megabytes_is_an_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(budget.BUDGET_VARIABLE, value)
    with pytest.raises(ExportError, match=rf"^{budget.BUDGET_VARIABLE}: {budget.BUDGET_VARIABLE}='{value}' is not a "
                                          "whole number of megabytes; set it to a number such as 4096, or unset it"):
        read_export(b"TY  - JOUR\nER  - \n", file="x.ris", source="x")


def test_memory_running_out_all_the_same_is_an_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("pipeline.formats.ris.build", exhausted)
    with pytest.raises(ExportError, match=r"^x.ris:1: memory ran out while reading the export; free memory"):
        read_export(b"TY  - JOUR\nTI  - T\nER  - \n", file="x.ris", source="x")


def test_orjson_never_sees_a_record_past_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = orjson.dumps

    def watched(value: object, **kwargs: object) -> bytes:
        seen.append(sum(len(text) for values in value.values() for text in values))  # type: ignore[union-attr]
        return real(value, **kwargs)

    monkeypatch.setattr(orjson, "dumps", watched)
    write = common._raw_json_writer()
    dumps = common._canonical_json_encoder()
    small = {"TI": ["a title"], "AB": ["words " * 100]}
    large = {"TI": ["a title"], "AB": ["x" * common.ORJSON_MAX_CHARS]}
    assert write(small, dumps) == json.dumps(small, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert write(large, dumps) == json.dumps(large, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert max(seen) < common.ORJSON_MAX_CHARS  # the sample check and the small record, not the large one


ORJSON_UNDER_A_MEMORY_LIMIT = """
import resource, sys
from pipeline.formats import common
write, dumps = common._raw_json_writer(), common._canonical_json_encoder()
raw = {"AB": ["x" * (50 << 20)] * 8}  # 50 MB once, 400 MB of JSON
with open("/proc/self/status") as status:
    size = next(int(line.split()[1]) for line in status if line.startswith("VmSize:")) << 10
resource.setrlimit(resource.RLIMIT_AS, (size + (300 << 20), resource.RLIM_INFINITY))
try:
    write(raw, dumps)
except MemoryError:
    sys.exit(7)
sys.exit(0)
"""


def test_the_raw_writer_runs_out_of_memory_with_memoryerror_not_sigsegv() -> None:
    """orjson dies with SIGSEGV when an allocation fails; a large record goes to Python's encoder instead."""
    child = subprocess.run([sys.executable, "-c", ORJSON_UNDER_A_MEMORY_LIMIT], capture_output=True, timeout=120)
    assert child.returncode == 7, (child.returncode, child.stderr.decode()[-500:])


def test_a_line_longer_than_a_field_is_refused_before_the_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "MAX_FIELD_CHARS", 4096)
    data = b"TY  - JOUR\nTI  - T\nAB  - " + b"x" * 5000 + b"\nER  - \n"
    with pytest.raises(ExportError, match=r"^long.ris:3: the line is 5006 bytes long, more than the 4096 any field"):
        read_export(data, file="long.ris", source="long")


def test_records_are_bounded_before_they_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """200,000 one-tag records (5 MB) cost 2 kB each once built: refused under a 200 MB budget, up front."""
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "200")
    data = b"TY  - JOUR\nER  - \n" * 200_000
    with pytest.raises(ExportError, match=r"^many.ris:1: the export is too large to read within the memory budget "
                                          r"\(3\.4 MB, 400000 lines, up to 200000 records would need about 543 MB"):
        read_export(data, file="many.ris", source="many")


def test_a_sheet_of_many_rows_is_stopped_as_its_rows_pass_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Title", "Authors", "Year"])
    for number in range(5000):
        book.active.append([f"T{number}", "A", 2000])
    buffer = io.BytesIO()
    book.save(buffer)
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "8")
    with pytest.raises(ExportError, match=r"^rows.xlsx:4096: the Excel workbook is too large to read within the "
                                          r"memory budget \(.* up to 4096 records"):
        read_export(buffer.getvalue(), file="rows.xlsx", source="rows")
