"""Hostile inputs to `ingest`, big and small: exit status, message, time and peak memory per case.

Each case is built in a temporary folder (nothing is written to the repository) and read by
``python -m pipeline ingest FILE -o OUT.csv`` in a child process of its own, with the pipeline
package of the checkout given by ``--code`` (default: this one), so that the same cases can be run
on an older commit for a before/after table:

    .venv/bin/python benchmarks/hostile/bombs.py                       # this checkout
    git archive f9b55df | tar -x -C /tmp/base
    .venv/bin/python benchmarks/hostile/bombs.py --code /tmp/base     # the same cases, older code
    .venv/bin/python benchmarks/hostile/bombs.py --only ris_gz_bomb   # one case

Every child runs under a time limit (``--timeout``, 120 s) and an address-space limit
(``--memory-cap``, 6 GiB), so that code without the budget is stopped rather than taking the
machine: such a run shows as "killed after N s" or as the signal or MemoryError the cap caused.
Peak memory is the child's own maximum resident set (``os.wait4``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MB = 1 << 20
RIS = "TY  - JOUR\nTI  - Café society {n}\nAU  - Müller, Jürgen\nPY  - 2001\nER  - \n\n"


def _workbook(rows: int, dimension: str | None) -> bytes:
    """A workbook of ``rows`` records; its sheet's <dimension> replaced when given."""
    import openpyxl  # the venv's; only needed to build the xlsx cases

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Title", "Authors", "Year", "Abstract"])
    for number in range(rows):
        sheet.append([f"Study {number}", "Smith, J; Okafor, C", 2000 + number % 20, f"Abstract {number} " * 3])
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>'.encode(), content)
            target.writestr(info.filename, content)
    return out.getvalue()


def _xlsx_bomb(path: Path, unpacked: int) -> None:
    """A workbook whose one sheet is ``unpacked`` bytes of tiny rows (about 1 MB packed per GB)."""
    honest = zipfile.ZipFile(io.BytesIO(_workbook(1, None)))
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c></row>'
    chunk = row * (MB // len(row))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in honest.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, honest.read(info))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                        b'<row><c t="inlineStr"><is><t>Title</t></is></c><c t="inlineStr"><is><t>Authors</t></is>'
                        b'</c></row>')
            for _ in range(unpacked // len(chunk)):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


def _gzip_bomb(path: Path, unpacked: int) -> None:
    """One RIS record of ``unpacked`` bytes of 'A1  - x' lines, gzip at level 9 (about 1 MB per GB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip header and trailer
    chunk = b"A1  - x\n" * (MB // 8)
    with path.open("wb") as out:
        out.write(packer.compress(b"TY  - JOUR\n"))
        for _ in range(unpacked // len(chunk)):
            out.write(packer.compress(chunk))
        out.write(packer.compress(b"ER  - \n"))
        out.write(packer.flush())


def _mixed_utf8(path: Path) -> None:
    records = [RIS.format(n=n).encode() for n in range(100)]
    for n, byte in ((3, b"\x92"), (50, b"\xe9"), (97, b"\x81")):
        records[n] = records[n].replace(b"society", b"soci" + byte + b"ty")
    path.write_bytes(b"".join(records))


STRAY_BRACE = ("@article{k1,\n  title = {A title}},\n  author = {Smith, John},\n  year = {2001},\n"
               "  journal = {Journal of Tests}\n}\n\n@article{k2,\n  title = {B},\n  author = {Doe, Jane},\n"
               "  year = {2002}\n}\n")


def _deep_xml(path: Path, depth: int) -> None:
    path.write_text('<?xml version="1.0"?>\n<xml><records><record><titles><title>T</title></titles>\n'
                    + "<a>" * depth + "x" + "</a>" * depth + "</record></records></xml>\n", encoding="ascii")


def _continued_nbib(path: Path, lines: int) -> None:
    path.write_text("PMID- 1\nTI  - T\nFAU - Smith, J\nDP  - 2000\nAB  - start\n" + "      more words\n" * lines + "\n",
                    encoding="ascii")


def _big_record_ris(path: Path, size: int) -> None:
    """One record whose abstract is ``size`` bytes on one line (the raw JSON writer's largest input)."""
    with path.open("w", encoding="ascii") as out:
        out.write("TY  - JOUR\nTI  - T\nAU  - Smith, J\nPY  - 2000\nAB  - ")
        for _ in range(size // MB):
            out.write("x" * MB)
        out.write("\nER  - \n")


def _outcome_mixed(out: Path) -> str:
    rows = _rows(out)
    mojibake = sum("Ã" in row["title"] for row in rows)
    noted = sum("not UTF-8" in row["problems"] for row in rows)
    return f"{len(rows)} records, {mojibake} titles with mojibake, {noted} noted as repaired"


def _outcome_brace(out: Path) -> str:
    first = _rows(out)[0]
    return f"k1: authors {first['authors']}, year '{first['year']}', problems '{first['problems'][:60]}'"


def _outcome_records(out: Path) -> str:
    return f"{len(_rows(out))} records"


def _rows(out: Path) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# name -> (what it is, build(path), file name, outcome(out.csv) when the run succeeds)
Case = tuple[str, Callable[[Path], None], str, Callable[[Path], str] | None]
CASES: dict[str, Case] = {
    "xlsx_dimension_A1_C2": ("xlsx, 100 rows, <dimension ref=A1:C2>",
                             lambda p: p.write_bytes(_workbook(100, "A1:C2")), "dim.xlsx", _outcome_records),
    "xlsx_dimension_A1": ("xlsx, 100 rows, <dimension ref=A1>",
                          lambda p: p.write_bytes(_workbook(100, "A1")), "dim.xlsx", _outcome_records),
    "xlsx_dimension_whole_sheet": ("xlsx, 20,000 rows (1.5 MB), <dimension ref=A1:XFD1048576>",
                                   lambda p: p.write_bytes(_workbook(20_000, "A1:XFD1048576")), "dim.xlsx",
                                   _outcome_records),
    "ris_utf8_three_bad_bytes": ("UTF-8 RIS, 100 records, 3 cp1252 bytes", _mixed_utf8, "mixed.ris", _outcome_mixed),
    "bibtex_stray_brace": ("BibTeX, a stray '}' after the first field", lambda p: p.write_text(STRAY_BRACE),
                           "refs.bib", _outcome_brace),
    "endnote_xml_deep": ("EndNote XML, 100,000 nested elements (700 KB)", lambda p: _deep_xml(p, 100_000),
                         "deep.xml", _outcome_records),
    "nbib_continued_200k": ("MEDLINE, an abstract continued over 200,000 lines",
                            lambda p: _continued_nbib(p, 200_000), "long.nbib", _outcome_records),
    "fifo": ("a named pipe as the export", lambda p: os.mkfifo(p), "export.ris", None),
    "dev_zero": ("/dev/zero as the export", lambda p: p.symlink_to("/dev/zero"), "zero.ris", None),
    "ris_gz_bomb": ("1 MB .ris.gz unpacking to 1023 MiB of 'A1  - x' lines (under the old 1 GiB cap)",
                    lambda p: _gzip_bomb(p, 1023 * MB), "bomb.ris.gz", _outcome_records),
    "xlsx_bomb": ("xlsx, 1 GiB of tiny rows in about 1 MB", lambda p: _xlsx_bomb(p, 1 << 30), "bomb.xlsx",
                  _outcome_records),
    "ris_million_records": ("RIS, 1,000,000 records of one tag each (27 MB)",
                            lambda p: p.write_bytes(b"TY  - JOUR\nA1  - x\nER  - \n" * 1_000_000), "many.ris",
                            _outcome_records),
    "ris_record_300mb": ("RIS, one record with a 300 MB abstract line", lambda p: _big_record_ris(p, 300 * MB),
                         "big.ris", _outcome_records),
}


def run(code: Path, file: Path, out: Path, timeout: float, memory_cap: int,
        env: dict[str, str]) -> tuple[str, str, float, float]:
    """(exit, message, seconds, peak RSS MB) of one ingest run of ``code``'s pipeline on ``file``."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))

    command = [sys.executable, "-m", "pipeline", "ingest-source", "--export", str(file), "--output-records", str(out)]
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=code, stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=limit,
                                 env={**os.environ, "PYTHONPATH": str(code), **env})
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            child.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        stderr.seek(0)
        lines = stderr.read().decode(errors="replace").splitlines()
    if killed.is_set():
        exit_text, message = "killed", f"still running after {timeout:.0f} s"
    elif child.returncode < 0:
        exit_text = signal.Signals(-child.returncode).name
        message = (lines[-1] if lines else "(nothing on stderr)")
    else:
        exit_text = str(child.returncode)
        message = next((line for line in lines if line.startswith("ERROR: ")),
                       next((line for line in reversed(lines) if line.startswith("INFO: ingest:")),
                            lines[-1] if lines else ""))
    return exit_text, message, seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose pipeline package is run")
    parser.add_argument("--only", action="append", choices=sorted(CASES), help="run only this case (repeatable)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a run is killed")
    parser.add_argument("--memory-cap", type=int, default=6144, help="address-space limit of each run, MB")
    parser.add_argument("--budget", help="PIPELINE_INGEST_MEMORY_MB for the runs (default: not set)")
    args = parser.parse_args()
    env = {"PIPELINE_INGEST_MEMORY_MB": args.budget} if args.budget else {}
    print(f"code: {args.code.resolve()}; timeout {args.timeout:.0f} s; address-space cap {args.memory_cap} MB"
          + (f"; budget {args.budget} MB" if args.budget else ""))
    print()
    print("| case | input | exit | message | outcome | s | peak RSS MB |")
    print("|---|---|---|---|---|---:|---:|")
    for name in args.only or list(CASES):
        what, build, file_name, outcome = CASES[name]
        with tempfile.TemporaryDirectory(prefix="bombs-") as folder:
            path = Path(folder) / file_name
            build(path)
            out = Path(folder) / "records.csv"
            exit_text, message, seconds, peak = run(args.code, path, out, args.timeout, args.memory_cap * MB, env)
            result = outcome(out) if outcome and exit_text == "0" and out.exists() else ""
            message = message.replace(folder + "/", "").replace("|", "\\|")
            if len(message) > 260:
                message = message[:257] + "..."
            print(f"| {name} | {what} | {exit_text} | {message} | {result} | {seconds:.1f} | {peak:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
