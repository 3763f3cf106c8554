"""config.yaml validation: the shipped config loads, and each kind of mistake gives one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import config
from pipeline.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SHIPPED = (REPO / "config.yaml").read_text(encoding="utf-8")


def test_shipped_config_describes_the_2020_review():
    settings = config.parse(SHIPPED)
    assert [s.name for s in settings.sources] == [
        "MEDLINE", "CINAHL", "PsycINFO", "Social Work Abstracts", "Social Services Abstracts", "ASSIA", "PILOTS"]
    assert settings.search.date_from == 2000
    assert [lv.id for lv in settings.hierarchy.levels] == ["best", "promising", "emerging", "contraindicated"]
    assert settings.hierarchy.level_of_design("rct") == "best"
    assert settings.hierarchy.level_of_design("case_study") == "promising"
    assert settings.hierarchy.level_of_design("opinion") == "emerging"
    assert settings.hierarchy.no_effect_level == "contraindicated"
    assert len(settings.hierarchy.designs) == 10
    assert [t.field for t in settings.tables][:5] == [
        "design", "country", "setting", "provider_population", "client_population"]
    exclusions = [c.id for c in settings.criteria if c.kind == "exclusion"]
    assert "exc_informal_caregivers" in exclusions and "exc_dissertation" in exclusions


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    stage: title_abstract\n", "    stge: title_abstract\n",
         "criteria[7].stge: unknown key 'stge'; did you mean 'stage'?"),
        ("level: best}", "level: bets}", "hierarchy.designs[0].level: unknown level 'bets'; use one of: best,"),
        ("    format: auto\n", "    format: riss\n", "sources[0].format: value 'riss' is not allowed; use one of: auto, ris,"),
        ("date_from: 2000", "date_from: two", "search.date_from: value 'two' should be of type integer"),
        ("  - id: cinahl\n", "  - id: medline\n", "sources[1].id: duplicate id 'medline'"),
        ("    automation: {test: year_at_least, value: 2000}\n", "",
         "criteria[0]: criterion 'before_2000' has stage automation but no 'automation' test"),
        ("precedence: [override, no_effect, design]", "precedence: [override, no_effect, desing]",
         "hierarchy.precedence[2]: value 'desing' is not allowed; use one of: override, no_effect, design"),
        ("title_maybe: 85", "title_maybe: 99", "deduplicate.title_maybe: title_maybe is above title_duplicate"),
        ("review:\n", "reveiw:\n", "unknown key 'reveiw'; did you mean 'review'?"),
        ("date_to: 2020", "date_to: 1999", "search.date_to: date_to 1999 is before date_from 2000"),
        ("path: data/raw/exports/cinahl.ris", "path: data/raw/exports/medline.nbib",
         "sources[1].path: 'data/raw/exports/medline.nbib' is already the path of sources[0] ('medline')"),
        ("figures:\n  formats: [svg, png, pdf]\n", "figures:\n  formats: [svg, png, pdf]\nfigures:\n  formats: [svg]\n",
         "figures: key given twice (first on line"),
        ("  date_to: 2020\n", "  date_to: 2020\n  date_to: 2019\n", "search.date_to: key given twice"),
        ("    format: auto\n", "    format: auto\n    encoding: gbx\n", "sources[0].encoding: unknown encoding 'gbx'"),
        ("    format: auto\n", "    format: auto\n    encoding: base64\n",
         "sources[0].encoding: unknown encoding 'base64'"),
    ],
    ids=["typo-key", "unknown-level", "bad-enum", "bad-type", "duplicate-id", "automation-missing",
         "bad-precedence", "threshold-order", "typo-top-level", "dates-reversed", "same-export-twice",
         "duplicate-top-key", "duplicate-nested-key", "unknown-encoding", "not-a-text-encoding"],
)
def test_a_mistake_gives_one_message_with_key_line_and_fix(old, new, expected):
    assert old in SHIPPED
    with pytest.raises(ConfigError) as caught:
        config.parse(SHIPPED.replace(old, new, 1))
    message = caught.value.message
    assert message.startswith("config.yaml:")
    assert expected in message
    line = int(message.split(":")[1])
    assert 1 <= line <= SHIPPED.count("\n") + 1


def test_the_line_points_at_the_bad_key():
    broken = SHIPPED.replace("    stage: title_abstract\n", "    stge: title_abstract\n", 1)
    message = pytest.raises(ConfigError, config.parse, broken).value.message
    line = int(message.split(":")[1])
    assert broken.splitlines()[line - 1].strip().startswith("stge:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "the file is empty or not a mapping"), ("review: [\n", "not valid YAML"), ("- a\n- b\n", "not a mapping")],
    ids=["empty", "broken-yaml", "list"],
)
def test_unreadable_documents(text, expected):
    with pytest.raises(ConfigError, match=expected):
        config.parse(text)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found; run from the review folder"):
        config.load(tmp_path / "config.yaml")


SEARCH_CRITERION = ("criteria:\n  - id: not_found\n    label: Not found by the search string\n    kind: exclusion\n"
                    "    stage: automation\n    automation: {test: search_string}\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SHIPPED + "\nscreening:\n  reviewers: [ann, bob]\n  per_record: {title_abstract: 3}\n",
         "screening.per_record.title_abstract: 3 decisions per record at title_abstract but only 2 reviewer(s) "
         "listed; list more reviewers under screening.reviewers or lower screening.per_record"),
        (SHIPPED + "\nscreening:\n  per_record: {full_text: 0}\n",
         "screening.per_record.full_text: 0 is less than the minimum of 1"),
        (SHIPPED + "\nscreening:\n  reviewer: [ann]\n", "screening.reviewer: unknown key 'reviewer'; did you mean "
                                                         "'reviewers'?"),
        (SHIPPED.replace("    format: auto\n", "    format: auto\n    round: 0\n", 1),
         "sources[0].round: 0 is less than the minimum of 1"),
        (SHIPPED.replace("criteria:\n", SEARCH_CRITERION, 1).replace("  concepts:\n", "  old_concepts:\n", 1),
         "unknown key 'old_concepts'"),
        (SHIPPED.replace("criteria:\n", SEARCH_CRITERION, 1).replace("  concepts:\n", "  #concepts:\n", 1)
         .replace("    - [\"compassion", "    # - [\"compassion").replace("    - [\"intervention", "    # - [\"int"),
         "criteria[0].automation: test 'search_string' needs the search string as search.concepts"),
    ],
    ids=["more-decisions-than-reviewers", "zero-decisions", "typo-in-screening", "round-zero",
         "concepts-renamed", "search-string-without-concepts"],
)
def test_screening_and_update_settings_are_checked(text, expected):
    with pytest.raises(ConfigError) as caught:
        config.parse(text)
    assert expected in caught.value.message


def test_screening_rounds_and_search_string_are_frozen():
    text = (SHIPPED.replace("criteria:\n", SEARCH_CRITERION, 1)
            .replace("    path: data/raw/exports/pilots.ris\n", "    path: data/raw/exports/pilots.ris\n    round: 2\n")
            + "\nscreening:\n  reviewers: [ann, bob]\n  per_record: {title_abstract: 2}\n")
    settings = config.parse(text)
    assert (settings.screening.reviewers, settings.screening.needed("title_abstract"),
            settings.screening.needed("full_text")) == (("ann", "bob"), 2, 1)
    assert [s.round for s in settings.sources] == [1, 1, 1, 1, 1, 1, 2]
    assert settings.current_round == 2
    assert settings.criteria[0].automation.test == "search_string"
    shipped = config.parse(SHIPPED)
    assert (shipped.screening.reviewers, shipped.screening.needed("full_text"), shipped.current_round) == ((), 1, 1)


@pytest.mark.parametrize(("path", "expected"), [
    ("data/raw/exports/medlin.nbib", "sources[0].path: export file 'data/raw/exports/medlin.nbib' not found"),
    ("data/raw/exports", "sources[0].path: 'data/raw/exports' is a folder, not an export file"),
], ids=["missing", "folder"])
def test_load_or_exit_checks_that_every_export_exists(tmp_path, capsys, path, expected):
    """The Snakefile's check: the workflow may find the ingest output up to date and skip the stage
    that would otherwise say so."""
    (tmp_path / "data/raw/exports").mkdir(parents=True)
    text = SHIPPED.replace("path: data/raw/exports/medline.nbib", f"path: {path}", 1)
    for source in config.parse(SHIPPED).sources[1:]:
        (tmp_path / source.path).write_text("", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        config.load_or_exit(tmp_path / "config.yaml")
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"ERROR: {tmp_path / 'config.yaml'}:32: {expected}")
    assert error.count("\n") == 1


def test_snakefile_validates_config_before_snakemake_reads_it():
    """Snakemake's own reader reports a YAML mistake as a workflow error without a line number."""
    snakefile = (REPO / "Snakefile").read_text(encoding="utf-8")
    assert snakefile.index("folder.preflight(CONFIG)") < snakefile.index("configfile: CONFIG")
