"""A stage's contract, and the one adapter that turns it into a command line.

A stage module declares two frozen dataclasses, its inputs and its outputs, and a pure
``run(inputs, settings) -> outputs``. Each field says, through :func:`file`, how it is kept on
disk: a CSV table, several tables, JSON, text, bytes, a figure in one or more formats. From those
declarations :func:`add_arguments` makes one flag per field (``--<input> PATH`` and
``--output-<name> PATH``), :func:`read_inputs` reads every input and :func:`write_outputs` writes
every output. No stage names a file: the paths are the ones given on the command line, which in
a run are the Snakefile's ``{input.x}`` and ``{output.y}``, one for one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import PipelineError
from pipeline.io import read_table, write_json, write_table, write_text
from pipeline.progress import Progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """How one field is kept on disk.

    ``form`` is one of ``table`` (one CSV), ``tables`` (several CSVs, a mapping by path in the order
    given when read, by file stem when written), ``json``, ``text``, ``texts`` (several text files ending in
    ``suffix``, by path), ``bytes``, ``path`` (the path itself: the stage reads the file), ``figure``
    (one figure written in the format of each path) and ``figures`` (figures by file stem).
    """

    form: str
    what: str
    required: tuple[str, ...] = ()  # columns a table must have
    line_numbers: bool = False  # keep each row's line for messages (files people write)
    optional: bool = False  # an input that may be left out: read as empty
    empty: tuple[str, ...] = ()  # the columns of a left-out optional table
    suffix: str = ""  # texts: only the files ending in it are read


MANY = ("tables", "texts", "figure", "figures")


def file(kind: Kind, **field_options: Any) -> Any:
    """A dataclass field kept on disk as ``kind``."""
    if kind.optional and "default" not in field_options and "default_factory" not in field_options:
        field_options["default_factory"] = _empty_value(kind)
    return dataclasses.field(metadata={"file": kind}, **field_options)


def _empty_value(kind: Kind) -> Callable[[], Any]:
    if kind.form == "table":
        return lambda: pd.DataFrame(columns=list(kind.empty))
    if kind.form in MANY:
        return dict
    return lambda: None


def kind_of(field: dataclasses.Field) -> Kind:
    return field.metadata["file"]


@dataclass(frozen=True)
class Stage:
    """One stage: its name (rule, subcommand and output folder), contract and how its settings are made."""

    name: str
    help: str
    inputs: type
    outputs: type
    run: Callable[[Any, Any], Any]
    settings: Callable[[argparse.Namespace], Any]
    options: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = ()  # extra flags the settings read


def from_config(select: Callable[[Any], Any] = lambda settings: settings) -> Callable[[argparse.Namespace], Any]:
    """Settings made from the validated config file named by ``--config``."""

    def load(args: argparse.Namespace) -> Any:
        from pipeline.config import load as load_config

        return select(load_config(args.config))

    return load


def _flag(name: str) -> str:
    return name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser, stage: Stage) -> None:
    """One flag per input and output field of ``stage``, and the stage's own options."""
    for field in dataclasses.fields(stage.inputs):
        kind = kind_of(field)
        if kind.form in MANY:
            parser.add_argument(f"--{_flag(field.name)}", nargs="*", default=[], metavar="PATH",
                                required=not kind.optional, help=f"{kind.what} (any number of files)")
        elif kind.optional:
            parser.add_argument(f"--{_flag(field.name)}", nargs="?", metavar="PATH",
                                help=f"{kind.what}; read as empty when left out")
        else:
            parser.add_argument(f"--{_flag(field.name)}", required=True, metavar="PATH", help=kind.what)
    for field in dataclasses.fields(stage.outputs):
        kind = kind_of(field)
        many = kind.form in MANY
        parser.add_argument(f"--output-{_flag(field.name)}", dest=f"output_{field.name}", required=True,
                            metavar="PATH", nargs="*" if many else None,
                            help=f"{kind.what}{' (one file per format)' if kind.form == 'figure' else ''}"
                                 f"{' (file stems name them)' if kind.form in ('tables', 'figures') else ''}")
    for flags, options in stage.options:
        parser.add_argument(*flags, **options)


def read_inputs(stage: Stage, args: argparse.Namespace, progress: Progress | None = None) -> Any:
    """The stage's inputs, each read from the path(s) its flag names (``progress`` told which)."""
    values = {}
    for field in dataclasses.fields(stage.inputs):
        kind, given = kind_of(field), getattr(args, field.name)
        if progress is not None:
            progress.start(f"reading {kind.what}", 0)
        if given is None or (kind.form in MANY and not given and kind.optional):
            values[field.name] = _empty_value(kind)()
        else:
            values[field.name] = read(kind, given)
    return stage.inputs(**values)


def read(kind: Kind, given: str | list[str]) -> Any:
    """The value of one input field from its path (or paths: a mapping by path, in the order given)."""
    if kind.form == "table":
        return read_table(given, required=kind.required, what=kind.what, line_numbers=kind.line_numbers)
    if kind.form == "tables":
        return {path: read_table(path, required=kind.required, what=kind.what, line_numbers=kind.line_numbers)
                for path in given}
    if kind.form == "texts":
        return {path: _read_text(path, kind) for path in given if path.endswith(kind.suffix)}
    if kind.form == "json":
        return json.loads(_read_text(given, kind))
    if kind.form == "text":
        return _read_text(given, kind)
    if kind.form == "path":
        return given
    raise ValueError(f"cannot read a {kind.form} input")


def _read_text(path: str, kind: Kind) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{kind.what} not found", where=path, fix="run the stage that writes it first") from None


def write_outputs(stage: Stage, outputs: Any, args: argparse.Namespace, progress: Progress | None = None,
                  ) -> list[Path]:
    """Write every output field to the path(s) its flag names (``progress`` told which); the paths written."""
    written: list[Path] = []
    for field in dataclasses.fields(stage.outputs):
        if progress is not None:
            progress.start(f"writing {kind_of(field).what}", 0)
        written += write(kind_of(field), getattr(outputs, field.name), getattr(args, f"output_{field.name}"))
    return written


def write(kind: Kind, value: Any, given: str | list[str]) -> list[Path]:
    """Write one output field; the paths written."""
    if kind.form == "tables":
        return [written for stem, paths in _by_stem(value, given, kind).items() for path in paths
                for written in write(Kind("table", kind.what), value[stem], path)]
    if kind.form == "figures":
        return [written for stem, paths in _by_stem(value, given, kind).items()
                for written in write(Kind("figure", kind.what), value[stem], paths)]
    if kind.form == "figure":
        from pipeline import figures

        return [written for path in map(Path, given)
                for written in figures.save(value, path.with_suffix(""), (path.suffix.lstrip("."),))]
    path = Path(given)
    if kind.form == "table":
        write_table(value, path)
    elif kind.form == "json":
        write_json(value, path)
    elif kind.form == "text":
        write_text(value, path)
    elif kind.form == "bytes":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value)
    else:
        raise ValueError(f"cannot write a {kind.form} output")
    return [path]


def _by_stem(value: Mapping[str, Any], given: list[str], kind: Kind) -> dict[str, list[str]]:
    """The given paths grouped by the item of ``value`` their file stem names; every item needs a path."""
    paths: dict[str, list[str]] = {}
    for path in given:
        stem = Path(path).stem
        if stem not in value:
            raise PipelineError(f"no {kind.what} '{stem}' to write", where=path,
                                fix=f"name one of: {', '.join(value) or '(none)'}; the config decides which there are")
        paths.setdefault(stem, []).append(path)
    missing = [stem for stem in value if stem not in paths]
    if missing:
        raise PipelineError(f"no path given for {kind.what} {', '.join(missing)}", where="the command line",
                            fix="give one path per item, named after it (the Snakefile lists one per configured table)")
    return paths


def main(stage: Stage, args: argparse.Namespace) -> None:
    """Read, run, write: what every stage subcommand does (with a progress line every few seconds
    while a large table is read or written)."""
    settings = stage.settings(args)
    with Progress(stage.name, log) as progress:
        inputs = read_inputs(stage, args, progress)
    outputs = stage.run(inputs, settings)
    with Progress(stage.name, log) as progress:
        written = write_outputs(stage, outputs, args, progress)
    log.debug("%s: wrote %s", stage.name, ", ".join(str(path) for path in written))
