"""Fuzz every export reader at scale: nothing but ExportError may escape ``read_export``.

Inputs are deterministic (seeded): random byte strings, and mutations (cut, insert random bytes or
format tokens, flip, delete, duplicate a slice, swap line endings) of every fixture export in
tests/fixtures/exports plus an Excel workbook, a gzip file and a zip archive built from them. Each
input is read with ``format="auto"`` and with one explicit format chosen from every reader, so each
reader sees inputs that are not its own format too. Work is split over at most two worker processes.

    PYTHONPATH=. python benchmarks/ingest/fuzz.py --inputs 100000 --workers 2

Prints one summary (inputs, ExportErrors, frames, escapes, wall time); an escape is printed with
its exception and the seed that reproduces it (``--replay SEED``).
"""

from __future__ import annotations

import argparse
import gzip
import io
import logging
import multiprocessing
import random
import time
import traceback
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "exports"
FORMATS = ("ris", "nbib", "bibtex", "csv", "tsv", "wos", "enw", "endnote_xml", "xlsx")
TOKENS = (b"\nTY  - ", b"\nER  - \n", b"@article{", b"}", b"\nPMID- ", b'"', b"\n      ", b"#", b"{", b"%",
          b"\nPT J\n", b"\nER\n", b"\nEF\n", b"\n   ", b"\n%0 ", b"\n%A ", b"<record>", b"</record>", b"<style>",
          b"<![CDATA[", b"&amp;", b"&#xD;", b"\t", b",", b";", b"\r", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf",
          b"PK\x03\x04", b"\x1f\x8b", b"% Encoding: utf-16\n", b"<?xml version='1.0' encoding='klingon'?>")


def _workbook() -> bytes:
    import openpyxl

    from openpyxl.writer.excel import ExcelWriter

    from pipeline.tables import FIXED_TIME, _with_fixed_timestamps

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Title", "Authors", "Year", "DOI", "Pages"])
    sheet.append(["A title", "Doe, J; Roe, R", 2020, "10.1234/x", "1-9"])
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()  # book.save() restamps "modified"
    # openpyxl stamps the workbook and its zip members with the current time; fixed stamps keep every
    # seed's input the same from run to run
    return _with_fixed_timestamps(buffer.getvalue())


def seeds() -> list[bytes]:
    """The fixture exports and the container formats built from them."""
    from pipeline.tables import ZIP_TIME

    files = [path.read_bytes() for path in sorted(FIXTURES.iterdir()) if path.suffix != ".json"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr(zipfile.ZipInfo("export.ris", date_time=ZIP_TIME), files[0])
    return [*files, _workbook(), gzip.compress(files[0], mtime=0), archive.getvalue()]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Apply one to six random edits."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        action = rng.choice(("cut", "insert", "token", "flip", "delete", "duplicate", "crlf"))
        position = rng.randint(0, max(len(buffer) - 1, 0))
        if action == "cut":
            del buffer[position:]
        elif action == "insert":
            buffer[position:position] = rng.randbytes(rng.randint(1, 16))
        elif action == "token":
            buffer[position:position] = rng.choice(TOKENS)
        elif action == "flip" and buffer:
            buffer[position] = rng.randrange(256)
        elif action == "delete":
            del buffer[position:position + rng.randint(1, 64)]
        elif action == "duplicate":
            end = min(len(buffer), position + rng.randint(1, 400))
            buffer[position:position] = buffer[position:end]
        else:
            buffer = bytearray(bytes(buffer).replace(b"\n", rng.choice((b"\r\n", b"\r", b"\n\n"))))
    return bytes(buffer)


def make_input(seed: int, corpus: list[bytes]) -> tuple[bytes, str]:
    """The (bytes, format) for one seed: a quarter random bytes, the rest mutated exports."""
    rng = random.Random(seed)
    if rng.random() < 0.25:
        data = rng.randbytes(rng.randint(0, 400))
    else:
        data = mutate(rng.choice(corpus), rng)
    return data, "auto" if rng.random() < 0.5 else rng.choice(FORMATS)


def run_range(bounds: tuple[int, int]) -> dict[str, object]:
    """Read the inputs for seeds in [start, stop); count outcomes, collect escapes."""
    from pipeline.errors import ExportError
    from pipeline.formats import read_export

    logging.disable(logging.CRITICAL)
    corpus = seeds()
    counts = {"inputs": 0, "export_errors": 0, "frames": 0, "records": 0}
    escapes: list[str] = []
    for seed in range(*bounds):
        data, format_name = make_input(seed, corpus)
        counts["inputs"] += 1
        try:
            frame = read_export(data, file="fuzz", source="fuzz", format=format_name)
        except ExportError:
            counts["export_errors"] += 1
            continue
        except Exception:  # noqa: BLE001 - the point of the harness: any other exception is a finding
            escapes.append(f"seed {seed} format {format_name}:\n{traceback.format_exc()}")
            continue
        counts["frames"] += 1
        counts["records"] += len(frame)
    return {**counts, "escapes": escapes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, choices=(1, 2))
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--replay", type=int, help="read one seed's input in this process and raise what escapes")
    args = parser.parse_args()
    if args.replay is not None:
        from pipeline.formats import read_export

        data, format_name = make_input(args.replay, seeds())
        read_export(data, file="fuzz", source="fuzz", format=format_name)
        return
    chunk = 1000
    bounds = [(start, min(start + chunk, args.first_seed + args.inputs))
              for start in range(args.first_seed, args.first_seed + args.inputs, chunk)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        results = pool.map(run_range, bounds, chunksize=1)
    wall = time.perf_counter() - started
    total = {key: sum(int(result[key]) for result in results)
             for key in ("inputs", "export_errors", "frames", "records")}
    escapes = [escape for result in results for escape in result["escapes"]]
    print(f"inputs {total['inputs']:,}; ExportError {total['export_errors']:,}; frames read {total['frames']:,} "
          f"({total['records']:,} records); escapes {len(escapes)}; wall {wall:.0f} s with {args.workers} workers")
    for escape in escapes[:20]:
        print(escape)


if __name__ == "__main__":
    main()
