"""A new review folder: what init writes, the minimal config, and the checks before a run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import cli, config, folder
from pipeline.errors import PipelineError

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
sources:
  - {id: search, path: data/raw/exports/search.ris}
criteria:
  - {id: exc_topic, label: Off topic, kind: exclusion, stage: title_abstract}
"""


def test_sources_and_criteria_are_a_whole_config():
    settings = config.parse(MINIMAL)
    assert (settings.review_id, settings.title, settings.search.string) == ("review", "Systematic review",
                                                                           "(not recorded)")
    assert settings.sources[0].name == "search"
    assert [level.id for level in settings.hierarchy.levels] == ["high", "moderate", "low"]
    assert settings.hierarchy.level_of_design("rct") == "high"
    assert settings.tables == () and settings.screening.needed("full_text") == 1


def test_a_section_given_replaces_its_default():
    settings = config.parse(MINIMAL + "review: {id: mine, title: Mine}\n")
    assert (settings.review_id, settings.title) == ("mine", "Mine")


def test_init_writes_a_folder_that_validates(tmp_path):
    export = tmp_path / "My Search (2026).ris"
    export.write_text("TY  - JOUR\nTI  - A title\nER  - \n", encoding="utf-8")
    review = tmp_path / "review"
    written = folder.create(review, [export])
    assert sorted(written) == sorted(["data/raw/exports/My Search (2026).ris", "config.yaml", "README.md",
                                      folder.DUPLICATES, folder.RESOLUTIONS, folder.EXTRACTION])
    settings = config.load(review / "config.yaml")
    assert [(s.id, s.path) for s in settings.sources] == [("my_search_2026", "data/raw/exports/My Search (2026).ris")]
    config.check_source_files(settings, review)
    assert (review / folder.RESOLUTIONS).read_text() == "key,stage,decision,reason,resolved_by,date,note\n"
    assert (review / folder.SCREENING).is_dir()


def test_every_section_of_the_template_is_explained():
    text = (REPO / "pipeline/templates/config.yaml").read_text(encoding="utf-8")
    schema = config.load_schema("config.schema.json")
    for section in schema["properties"]:
        line = next(n for n, row in enumerate(text.splitlines()) if row.lstrip("# ").startswith(f"{section}:"))
        assert text.splitlines()[line - 1].startswith("#"), section


def commented_examples(text: str) -> tuple[dict, list]:
    """The template's commented-out sections (``# name:`` and its ``#   `` lines) and criteria."""
    lines = text.splitlines()
    sections = {}
    for position, line in enumerate(lines):
        found = re.match(r"^# (\w+):", line)
        if found and found.group(1) in config.load_schema("config.schema.json")["properties"]:
            block = [line[2:]]
            for follow in lines[position + 1:]:
                if not follow.startswith("#  "):
                    break
                block.append(follow[2:])
            sections.update(yaml.safe_load("\n".join(block)))
    criteria = "\n".join(line.replace("  # ", "  ", 1) for line in lines if line.startswith(("  # - ", "  #    ")))
    return sections, yaml.safe_load(criteria)


def test_the_commented_examples_of_the_template_validate():
    text = (REPO / "pipeline/templates/config.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text.replace("{sources}\n", "  - {id: a, path: a.ris}\n"))
    config.validate(document)
    sections, criteria = commented_examples(text)
    assert set(sections) == {"search", "screening", "deduplicate", "hierarchy", "tables", "figures", "prisma"}
    assert [c["id"] for c in criteria] == ["exc_before_2000", "exc_language"]
    config.validate({**document, **sections, "criteria": document["criteria"] + criteria})


@pytest.mark.parametrize("prepare, message", [
    (lambda d: (d / "x.txt").write_text("x"), "the folder already holds files; name a new or empty folder"),
    (lambda d: None, None),
], ids=["not-empty", "empty"])
def test_init_never_overwrites(tmp_path, prepare, message):
    target = tmp_path / "review"
    target.mkdir()
    prepare(target)
    if message is None:
        folder.create(target)
        assert "my_search.ris" in (target / "config.yaml").read_text()
        return
    with pytest.raises(PipelineError) as caught:
        folder.create(target)
    assert message in caught.value.message


def test_a_missing_export_to_copy_is_one_error(tmp_path, capsys):
    assert cli.main(["init", str(tmp_path / "review"), str(tmp_path / "nothing.ris")]) == 2
    assert capsys.readouterr().err.strip() == (f"ERROR: {tmp_path / 'nothing.ris'}: export file not found; name an "
                                               "export file you downloaded (RIS, MEDLINE, BibTeX, CSV, ...)")


def test_a_folder_where_a_decision_file_belongs_is_an_error(tmp_path):
    (tmp_path / folder.RESOLUTIONS).mkdir(parents=True)
    with pytest.raises(PipelineError) as caught:
        folder.check_layout(tmp_path)
    assert caught.value.message == ("data/raw/decisions/resolutions.csv: is not a regular file; move it away; the "
                                    "pipeline reads this path as a CSV file")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["init", "--help"], ["test", "--help"], ["--version"]],
                         ids=["help", "run", "init", "test", "version"])
def test_help_and_version_print_to_stdout_and_succeed(args):
    result = subprocess.run([sys.executable, str(REPO / "review.py"), *args], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
    assert "python3 review.py" in result.stdout or result.stdout == "evidence-pipeline 0.1.0\n"


def test_the_package_cli_has_a_version_and_help_on_stdout(capsys):
    for args in (["--version"], ["screen", "--help"], ["init", "--help"]):
        with pytest.raises(SystemExit) as done:
            cli.main(args)
        assert done.value.code == 0
        assert capsys.readouterr().out
