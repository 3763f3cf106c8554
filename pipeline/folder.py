"""A review folder: what it holds, how a new one is made, and what is checked before a run.

The layout (paths relative to the folder)::

    config.yaml                              the review; see pipeline/schemas/config.schema.json
    data/raw/exports/                        database exports, as downloaded
    data/raw/decisions/screening/<name>.csv  one file per reviewer
    data/raw/decisions/duplicates.csv        optional: human duplicate decisions
    data/raw/decisions/resolutions.csv       optional: settled screening conflicts
    data/raw/extraction.csv                  optional: extracted values of included studies
    data/raw/extraction/<rater>.csv          optional: one file per independent rater
    data/raw/decisions/extraction_resolutions.csv  optional: settled conflicts between raters
    data/raw/published/*.csv                 optional: a published review's numbers

A missing optional file reads as one with a header and no rows.
"""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

from pipeline import columns as col
from pipeline.errors import PipelineError

CONFIG = "config.yaml"
EXPORTS = "data/raw/exports"
SCREENING = "data/raw/decisions/screening"
DUPLICATES = "data/raw/decisions/duplicates.csv"
RESOLUTIONS = "data/raw/decisions/resolutions.csv"
EXTRACTION = "data/raw/extraction.csv"
RATERS = "data/raw/extraction"
EXTRACTION_RESOLUTIONS = "data/raw/decisions/extraction_resolutions.csv"
PUBLISHED = "data/raw/published"
OPTIONAL_FILES = {DUPLICATES: col.DUPLICATE_DECISION_COLUMNS, RESOLUTIONS: col.RESOLUTION_COLUMNS,
                  EXTRACTION: col.EXTRACTION_COLUMNS}
EXAMPLE_EXPORT = "data/raw/exports/my_search.ris"
_SOURCE_ID = re.compile(r"[^a-z0-9_]+")


def optional(path: str) -> list[str]:
    """``[path]`` when the file is there, else ``[]`` (for a Snakemake input that may be absent)."""
    return [path] if Path(path).is_file() else []


def raters() -> list[str]:
    """The raters of a review: the names of the ``.csv`` files in ``data/raw/extraction/``, sorted."""
    return [Path(path).stem for path in csv_files(RATERS)]


def csv_files(folder: str) -> list[str]:
    """The ``.csv`` files of a folder, sorted; [] when the folder is absent."""
    return sorted(path.as_posix() for path in Path(folder).glob("*.csv") if path.is_file())


def check_layout(base: Path = Path(".")) -> None:
    """Raise PipelineError when a path the workflow reads is there but is not a regular file
    (a folder named like a decision file), which Snakemake would report as a workflow error."""
    for path in [*OPTIONAL_FILES, *(p.relative_to(base).as_posix() for folder in (SCREENING, PUBLISHED)
                                    for p in sorted((base / folder).glob("*.csv")))]:
        target = base / path
        if target.exists() and not target.is_file():
            raise PipelineError("is not a regular file", where=path,
                                fix="move it away; the pipeline reads this path as a CSV file")


def config_file(given: list) -> str:
    """The review file of a workflow run: the one passed with ``--configfile`` (Snakemake's
    ``workflow.overwrite_configfiles``), else config.yaml. Several are refused: the stages read one."""
    import sys

    if len(given) > 1:
        sys.stderr.write(f"ERROR: --configfile names {len(given)} files ({', '.join(map(str, given))}); "
                         "name one review file: the stages read exactly the file the run names\n")
        raise SystemExit(2)
    return str(given[0]) if given else CONFIG


def preflight(config: str = CONFIG) -> None:
    """Everything checked before the workflow starts, each problem one ``ERROR:`` line and exit
    status 2: the config (schema, export files present) and the folder's layout."""
    import sys

    from pipeline.config import load_or_exit

    load_or_exit(config)
    try:
        check_layout(Path(config).resolve().parent)
    except PipelineError as exc:
        sys.stderr.write(f"ERROR: {exc.message}\n")
        raise SystemExit(2) from None


def source_id(path: Path, taken: set[str]) -> str:
    """A source id (lower case, digits, '_', starting with a letter) from an export's file name,
    unique among ``taken``."""
    stem = path.name.split(".")[0]
    base = _SOURCE_ID.sub("_", stem.lower()).strip("_") or "source"
    base = base if base[0].isalpha() else f"source_{base}"
    found, number = base, 2
    while found in taken:
        found, number = f"{base}_{number}", number + 1
    taken.add(found)
    return found


def _sources_yaml(exports: list[tuple[str, str]]) -> str:
    if not exports:
        return (f"  - id: my_search\n    name: MEDLINE\n    platform: PubMed\n    path: {EXAMPLE_EXPORT}\n")
    return "".join(f"  - id: {source}\n    name: {source}\n    path: {json.dumps(path)}\n" for source, path in exports)


def create(target: Path, exports: list[Path] = ()) -> list[str]:
    """Make a new review folder at ``target``: the commented config.yaml (with one source per
    export in ``exports``, copied into data/raw/exports/), a README, the empty decision and
    extraction files. Returns the paths written. Refuses a folder that already holds files."""
    if target.exists() and not target.is_dir():
        raise PipelineError("is a file, not a folder", where=str(target), fix="name a new folder for the review")
    if target.is_dir() and any(target.iterdir()):
        raise PipelineError("the folder already holds files", where=str(target),
                            fix="name a new or empty folder; init never overwrites a review")
    for export in exports:
        if not export.is_file():
            raise PipelineError("export file not found", where=str(export),
                                fix="name an export file you downloaded (RIS, MEDLINE, BibTeX, CSV, ...)")
    taken: set[str] = set()
    copied = []
    for export in exports:
        copied.append((source_id(export, taken), f"{EXPORTS}/{export.name}"))
    if len({path for _, path in copied}) != len(copied):
        raise PipelineError("two exports have the same file name", where=", ".join(str(e) for e in exports),
                            fix="rename one of them")
    templates = resources.files("pipeline").joinpath("templates")
    written = []
    for folder in (EXPORTS, SCREENING, PUBLISHED):
        (target / folder).mkdir(parents=True, exist_ok=True)
    for export, (_, path) in zip(exports, copied):
        shutil.copyfile(export, target / path)
        written.append(path)
    config = templates.joinpath("config.yaml").read_text(encoding="utf-8")
    (target / CONFIG).write_text(config.replace("{sources}\n", _sources_yaml(copied)), encoding="utf-8")
    (target / "README.md").write_text(templates.joinpath("README.md").read_text(encoding="utf-8"), encoding="utf-8")
    written += [CONFIG, "README.md"]
    for path, header in OPTIONAL_FILES.items():
        (target / path).write_text(",".join(header) + "\n", encoding="utf-8")
        written.append(path)
    return written
