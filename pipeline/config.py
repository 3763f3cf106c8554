"""Load ``config.yaml``, validate it against the JSON Schema, and freeze it into settings.

Validation reports the first problem as one :class:`ConfigError` naming the key path, the line
in the YAML file, what is wrong and what is allowed. Stage functions receive the frozen
dataclasses below, never the raw dictionary.
"""

from __future__ import annotations

import codecs
import difflib
import glob
import json
import os
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pipeline.errors import ConfigError

SCHEMA_PACKAGE = "pipeline.schemas"


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    path: str
    platform: str = ""
    format: str = "auto"
    encoding: str = "auto"  # "auto" (detected and reported) or a Python codec name for a file without a declaration
    other_method: str = ""  # website | organisation | citation, for records not from a database
    round: int = 1  # search round: 1 for the original review, 2 for its first update, ...


@dataclass(frozen=True)
class Automation:
    test: str
    value: int | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    kind: str  # inclusion | exclusion
    stage: str  # automation | title_abstract | retrieval | full_text
    automation: Automation | None = None
    terms: tuple[str, ...] = ()  # highlighted in the screening workbench


@dataclass(frozen=True)
class Level:
    id: str
    label: str


@dataclass(frozen=True)
class Design:
    id: str
    label: str
    level: str


@dataclass(frozen=True)
class Hierarchy:
    levels: tuple[Level, ...]
    designs: tuple[Design, ...]
    precedence: tuple[str, ...]
    no_effect_level: str | None = None

    def level_of_design(self, design: str) -> str | None:
        return next((d.level for d in self.designs if d.id == design), None)

    def level_rank(self, level: str) -> int:
        """0 for the first (best) level; contraindicated levels rank by their position too."""
        return [lv.id for lv in self.levels].index(level)


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    field: str
    label: str = ""
    percentages: bool = False


@dataclass(frozen=True)
class DedupSettings:
    title_duplicate: float = 95.0
    title_maybe: float = 85.0
    max_year_gap: int = 1


@dataclass(frozen=True)
class SearchSettings:
    string: str
    concepts: tuple[tuple[str, ...], ...] = ()
    date_from: int | None = None
    date_to: int | None = None


@dataclass(frozen=True)
class StoppingSettings:
    """The stopping rule of title/abstract screening (see :mod:`pipeline.stopping`)."""

    rule: str = "biased_urn"  # or hypergeometric
    recall_target: float = 0.95
    confidence: float = 0.95
    odds: float = 1.5  # biased_urn: how much likelier the ranking draws an include than an exclude
    stop: bool = False  # the team stops: the studies nobody screened go to the automation box


@dataclass(frozen=True)
class ScreeningSettings:
    """Who screens, how many independent decisions each human stage needs, the queue's order."""

    reviewers: tuple[str, ...] = ()  # empty: anyone may screen
    title_abstract: int = 1
    full_text: int = 1
    seed: int = 0  # of the title/abstract queue's ranking model
    stopping: StoppingSettings = field(default_factory=StoppingSettings)

    def needed(self, stage: str) -> int:
        return self.full_text if stage == "full_text" else self.title_abstract


@dataclass(frozen=True)
class Settings:
    review_id: str
    title: str
    search: SearchSettings
    sources: tuple[Source, ...]
    criteria: tuple[Criterion, ...]
    hierarchy: Hierarchy
    tables: tuple[TableSpec, ...] = ()
    dedup: DedupSettings = field(default_factory=DedupSettings)
    screening: ScreeningSettings = field(default_factory=ScreeningSettings)
    figure_formats: tuple[str, ...] = ()  # the default is the schema's
    prisma_formats: tuple[str, ...] = ()
    citation: str = ""
    question: str = ""

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @property
    def current_round(self) -> int:
        """The latest search round among the sources (1 unless the review was updated)."""
        return max((source.round for source in self.sources), default=1)


def load_schema(name: str) -> dict[str, Any]:
    """Read a JSON Schema shipped in ``pipeline/schemas``."""
    text = resources.files(SCHEMA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


# --- YAML with line numbers ----------------------------------------------------------------


def _line_index(node: yaml.Node, path: tuple = (), index: dict | None = None) -> dict:
    """Map every key path in a composed YAML document to its 1-based line."""
    index = {} if index is None else index
    index[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = path + (key_node.value,)
            index[child] = key_node.start_mark.line + 1
            _line_index(value_node, child, index)
            index[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _line_index(item, path + (position,), index)
    return index


def _format_path(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _nearest_line(index: dict, path: tuple) -> int | None:
    while path not in index and path:
        path = path[:-1]
    return index.get(path)


def _describe(error: jsonschema.ValidationError) -> tuple[tuple, str, str]:
    """Turn a jsonschema error into (key path, what is wrong, how to fix it)."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = extra[0]
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return path + (key,), f"unknown key '{key}'", f"{hint}allowed keys: {', '.join(allowed)}"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        desc = error.schema.get("properties", {}).get(missing, {}).get("description", "")
        return path, f"missing required key '{missing}'", f"add it ({desc})" if desc else "add it"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return path, f"value {error.instance!r} is not allowed", f"use one of: {allowed}"
    if error.validator == "type":
        return path, f"value {error.instance!r} should be of type {error.validator_value}", (
            f"expected: {error.schema.get('description', error.validator_value)}")
    if error.validator in {"minimum", "maximum", "minItems", "minLength", "pattern", "uniqueItems"}:
        return path, error.message, error.schema.get("description", "see the schema")
    return path, error.message, error.schema.get("description", "see pipeline/schemas/config.schema.json")


def validate(document: Any, *, file: str = "config.yaml", lines: dict | None = None) -> Settings:
    """Validate a parsed config document and freeze it; raise ConfigError on the first problem."""
    lines = lines or {}
    schema = load_schema("config.schema.json")
    if not isinstance(document, dict):
        raise ConfigError("the file is empty or not a mapping of keys", where=file,
                          fix="start from the config.yaml shipped with the repository")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        path, what, fix = _describe(errors[0])
        line = _nearest_line(lines, path)
        location = f"{file}:{line}" if line else file
        raise ConfigError(f"{_format_path(path)}: {what}", where=location, fix=fix)
    settings = _freeze(with_defaults(document, schema))
    _check_semantics(settings, file, lines)
    return settings


def with_defaults(document: dict, schema: dict | None = None) -> dict:
    """The document with every section it leaves out that has a ``default`` in the schema."""
    schema = schema or load_schema("config.schema.json")
    defaults = {name: spec["default"] for name, spec in schema["properties"].items() if "default" in spec}
    return {**defaults, **document}


def _fail(file: str, lines: dict, path: tuple, what: str, fix: str) -> None:
    line = _nearest_line(lines, path)
    raise ConfigError(f"{_format_path(path)}: {what}", where=f"{file}:{line}" if line else file, fix=fix)


def _check_semantics(settings: Settings, file: str, lines: dict) -> None:
    """Cross-key rules a JSON Schema cannot express."""
    for section, items in (("sources", settings.sources), ("criteria", settings.criteria),
                           ("tables", settings.tables)):
        seen: set[str] = set()
        for position, item in enumerate(items):
            if item.id in seen:
                _fail(file, lines, (section, position, "id"), f"duplicate id '{item.id}'",
                      "give every entry its own id")
            seen.add(item.id)
    for position, criterion in enumerate(settings.criteria):
        if criterion.stage == "automation" and criterion.automation is None:
            _fail(file, lines, ("criteria", position), f"criterion '{criterion.id}' has stage automation but no 'automation' test",
                  "add automation: {test: ..., value: ...} or choose a human stage")
        if criterion.stage != "automation" and criterion.automation is not None:
            _fail(file, lines, ("criteria", position, "automation"),
                  f"criterion '{criterion.id}' has an automation test but stage '{criterion.stage}'",
                  "set stage: automation, or remove the automation test")
        auto = criterion.automation
        if auto and auto.test.startswith("year_") and auto.value is None:
            _fail(file, lines, ("criteria", position, "automation"), f"test '{auto.test}' needs a 'value' (a year)",
                  "add value: YEAR")
        if auto and auto.test == "search_string" and not settings.search.concepts:
            _fail(file, lines, ("criteria", position, "automation"),
                  "test 'search_string' needs the search string as search.concepts",
                  "add search.concepts: a list of groups of terms (AND of ORs), e.g. [[\"burnout\", \"fatigue\"], [\"train*\"]]")
        if auto and not auto.test.startswith("year_") and auto.test != "search_string" and not auto.values:
            _fail(file, lines, ("criteria", position, "automation"), f"test '{auto.test}' needs 'values' (a list)",
                  "add values: [...]")
    level_ids = [lv.id for lv in settings.hierarchy.levels]
    if len(set(level_ids)) != len(level_ids):
        _fail(file, lines, ("hierarchy", "levels"), "level ids repeat", "give every level its own id")
    design_ids = [d.id for d in settings.hierarchy.designs]
    if len(set(design_ids)) != len(design_ids):
        _fail(file, lines, ("hierarchy", "designs"), "design ids repeat", "give every design its own id")
    for position, design in enumerate(settings.hierarchy.designs):
        if design.level not in level_ids:
            _fail(file, lines, ("hierarchy", "designs", position, "level"), f"unknown level '{design.level}'",
                  f"use one of: {', '.join(level_ids)}")
    nel = settings.hierarchy.no_effect_level
    if nel is not None and nel not in level_ids:
        _fail(file, lines, ("hierarchy", "no_effect_level"), f"unknown level '{nel}'", f"use one of: {', '.join(level_ids)}")
    if "no_effect" in settings.hierarchy.precedence and nel is None:
        _fail(file, lines, ("hierarchy", "precedence"), "rule 'no_effect' is listed but no no_effect_level is set",
              "add no_effect_level, or remove 'no_effect' from precedence")
    screening = settings.screening
    for stage in ("title_abstract", "full_text"):
        if screening.reviewers and screening.needed(stage) > len(screening.reviewers):
            _fail(file, lines, ("screening", "per_record", stage),
                  f"{screening.needed(stage)} decisions per record at {stage} but only "
                  f"{len(screening.reviewers)} reviewer(s) listed",
                  "list more reviewers under screening.reviewers or lower screening.per_record")
    search = settings.search
    if search.date_from is not None and search.date_to is not None and search.date_from > search.date_to:
        _fail(file, lines, ("search", "date_to"), f"date_to {search.date_to} is before date_from {search.date_from}",
              "set date_to to the last year searched, at or after date_from")
    paths: dict[str, int] = {}
    for position, source in enumerate(settings.sources):
        if source.encoding != "auto" and not _is_codec(source.encoding):
            _fail(file, lines, ("sources", position, "encoding"), f"unknown encoding '{source.encoding}'",
                  "use 'auto' or a Python codec name such as utf-8, cp1252, latin-1, utf-16, gbk or shift_jis")
        same = paths.setdefault(Path(source.path).as_posix(), position)
        if same != position:
            _fail(file, lines, ("sources", position, "path"),
                  f"'{source.path}' is already the path of sources[{same}] ('{settings.sources[same].id}')",
                  "give every source its own export file; reading one file twice counts its records twice")
    if settings.dedup.title_maybe > settings.dedup.title_duplicate:
        _fail(file, lines, ("deduplicate", "title_maybe"), "title_maybe is above title_duplicate",
              "set title_maybe at or below title_duplicate")


def _is_codec(name: str) -> bool:
    """Whether Python knows a text codec by this name."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    return getattr(info, "_is_text_encoding", True)  # base64, rot13 and the like are not


def _freeze(doc: dict) -> Settings:
    search = doc["search"]
    hierarchy = doc["hierarchy"]
    dedup = doc.get("deduplicate", {})
    screening = doc.get("screening", {})
    per_record = screening.get("per_record", {})
    return Settings(
        review_id=doc["review"]["id"],
        title=doc["review"]["title"],
        citation=doc["review"].get("citation", ""),
        question=doc["review"].get("question", ""),
        search=SearchSettings(
            string=search["string"],
            concepts=tuple(tuple(group) for group in search.get("concepts", [])),
            date_from=search.get("date_from"),
            date_to=search.get("date_to"),
        ),
        sources=tuple(Source(**{"name": s["id"], **s}) for s in doc["sources"]),
        criteria=tuple(
            Criterion(
                id=c["id"], label=c["label"], kind=c["kind"], stage=c["stage"],
                automation=Automation(
                    test=c["automation"]["test"], value=c["automation"].get("value"),
                    values=tuple(c["automation"].get("values", ())),
                ) if "automation" in c else None,
                terms=tuple(c.get("terms", ())),
            )
            for c in doc["criteria"]
        ),
        hierarchy=Hierarchy(
            levels=tuple(Level(**lv) for lv in hierarchy["levels"]),
            designs=tuple(Design(**d) for d in hierarchy["designs"]),
            precedence=tuple(hierarchy["precedence"]),
            no_effect_level=hierarchy.get("no_effect_level"),
        ),
        tables=tuple(TableSpec(**t) for t in doc.get("tables", [])),
        dedup=DedupSettings(**dedup),
        screening=ScreeningSettings(
            reviewers=tuple(screening.get("reviewers", ())),
            title_abstract=per_record.get("title_abstract", 1),
            full_text=per_record.get("full_text", 1),
            seed=screening.get("seed", 0),
            stopping=StoppingSettings(**screening.get("stopping", {})),
        ),
        figure_formats=tuple(doc["figures"]["formats"]),
        prisma_formats=tuple(doc["prisma"]["formats"]),
    )


def parse(text: str, *, file: str = "config.yaml") -> Settings:
    """Parse YAML text and validate it."""
    node = _compose(text, file)
    if node is not None:
        _check_size(node, file)
        _check_unique_keys(node, file)
    document = _compose(text, file, construct=True)
    lines = _line_index(node) if node is not None else {}
    return validate(document, file=file, lines=lines)


def _compose(text: str, file: str, *, construct: bool = False) -> Any:
    """The YAML node graph of ``text`` (aliases not expanded), or with ``construct`` its Python values."""
    loader = yaml.SafeLoader(text)
    try:
        return loader.get_single_data() if construct else loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"not valid YAML ({exc.problem})", where=f"{file}{line}",
                          fix="check indentation and quoting on that line") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc})", where=file, fix="check the file's syntax") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise ConfigError(f"values nested more than {MAX_DEPTH} levels deep", where=_where(loader, file),
                          fix="a review's config nests a few levels; look for a run of '[' or '{'") from None
    finally:
        loader.dispose()


def _where(loader: yaml.SafeLoader, file: str) -> str:
    """``file:line`` of the event the loader stopped at, or the file alone."""
    try:
        return f"{file}:{loader.peek_event().start_mark.line + 1}"
    except (yaml.YAMLError, RecursionError):
        return file


# A config is a few hundred values nested a few levels deep. Aliases (``*name``) repeat an anchored
# value without copying it, so a few kilobytes of nested aliases stand for billions of values ("billion
# laughs"), and every walk over the document (duplicate keys, schema, Snakemake's params) would hang.
MAX_NODES = 100_000  # counting an aliased value once per use
MAX_DEPTH = 50


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_size(root: yaml.Node, file: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_NODES values, nest deeper than
    MAX_DEPTH, or refer to themselves; the error names the line of the smallest value at fault.

    Sizes and depths are counted once per distinct node (a walk of the graph, not of its expansion),
    without recursion, so the check itself takes time in proportion to the file."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values when expanded, depth)
    open_nodes: set[int] = set()  # nodes whose children are being counted: the current path
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, counted = stack.pop()
        if counted:
            open_nodes.discard(id(node))
            children = [sizes[id(child)] for child in _children(node)]
            size = 1 + sum(size for size, _ in children)
            depth = 1 + max((depth for _, depth in children), default=0)
            where = f"{file}:{node.start_mark.line + 1}"
            if size > MAX_NODES:
                raise ConfigError(f"the aliases in this value expand to more than {MAX_NODES:,} values",
                                  where=where, fix="write the values out, or nest fewer aliases inside aliases")
            if depth > MAX_DEPTH:
                raise ConfigError(f"values nested more than {MAX_DEPTH} levels deep", where=where,
                                  fix="a review's config nests a few levels; look for a run of '[' or '{'")
            sizes[id(node)] = (size, depth)
        elif id(node) in open_nodes:
            raise ConfigError("an alias refers to the value that contains it",
                              where=f"{file}:{node.start_mark.line + 1}", fix="point the alias at another anchor")
        elif id(node) not in sizes:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _check_unique_keys(node: yaml.Node, file: str, path: tuple = ()) -> None:
    """A key given twice in one mapping: YAML keeps the last silently, so the first is lost."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise ConfigError(f"{_format_path(path + (key_node.value,))}: key given twice (first on line "
                                  f"{seen[key_node.value]})", where=f"{file}:{line}",
                                  fix="merge the two into one entry; YAML would silently keep only the last")
            seen[key_node.value] = line
            _check_unique_keys(value_node, file, path + (key_node.value,))
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _check_unique_keys(item, file, path + (position,))


def load(path: str | Path) -> Settings:
    """Read and validate a config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", where=str(path),
                          fix="run from the review folder or pass --config PATH") from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", where=str(path), fix="save the file as UTF-8") from None
    return parse(text, file=str(path))


def check_source_files(settings: Settings, base: Path, *, file: str = "config.yaml", lines: dict | None = None) -> None:
    """Every source path names an existing file (paths are relative to the folder of config.yaml).

    The ingest stage says the same when it runs; checked up front, a missing export cannot go
    unnoticed when the workflow finds the ingest output up to date and skips the stage.
    """
    for position, source in enumerate(settings.sources):
        target = base / source.path
        if target.is_dir():
            _fail(file, lines or {}, ("sources", position, "path"), f"'{source.path}' is a folder, not an export file",
                  "name the export file itself")
        if not target.is_file():
            _fail(file, lines or {}, ("sources", position, "path"), f"export file '{source.path}' not found",
                  "check the path (relative to the folder of config.yaml) or add the file")
        problem = input_file_problem(source.path)
        if problem:
            _fail(file, lines or {}, ("sources", position, "path"), f"export file '{source.path}': {problem}",
                  "rename the file and its path here (letters, digits, spaces, '-', '_' and '.' are safe)")


def input_file_problem(path: str) -> str | None:
    """Why Snakemake cannot take this file as an input, or None: it reads ``{...}`` in a path as a
    wildcard (doubling the braces does not escape them in an input), and it writes the names of its
    inputs as UTF-8, which a name holding bytes that are not UTF-8 cannot be."""
    if "{" in path or "}" in path:
        return "the name holds '{' or '}', which Snakemake reads as a wildcard"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not UTF-8 text"
    return None


def workflow_inputs(pattern: str) -> list[str]:
    """The files matching a glob pattern, sorted, for a Snakefile rule's input; a file whose name
    Snakemake cannot take stops the run with one ``ERROR:`` line and exit status 2."""
    paths = sorted(glob.glob(pattern))
    for path in paths:
        problem = input_file_problem(path)
        if problem:
            shown = "".join(c if c.isprintable() else repr(c)[1:-1]
                            for c in os.fsencode(path).decode("utf-8", "backslashreplace"))
            sys.stderr.write(f"ERROR: {shown}: {problem}; rename the file (letters, digits, spaces, "
                             f"'-', '_' and '.' are safe), then run again\n")
            raise SystemExit(2)
    return paths


def load_or_exit(path: str | Path) -> Settings:
    """Load and validate, or print one ``ERROR:`` line and exit with status 2 (for the Snakefile)."""
    try:
        settings = load(path)
        lines = _line_index(yaml.compose(Path(path).read_text(encoding="utf-8")))
        check_source_files(settings, Path(path).resolve().parent, file=str(path), lines=lines)
        return settings
    except ConfigError as exc:
        sys.stderr.write(f"ERROR: {exc.message}\n")
        raise SystemExit(2) from None
