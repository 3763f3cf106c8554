"""Updating a review: a second search round is added after every first-round decision was made.

Real exports go through ingest and deduplicate, so decisions carry over the way they do in a run:
by record key, onto the studies the new exports' records join.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import columns as col
from pipeline import config, deduplicate, formats, ingest, prisma, screen

# (first author, title, year, doi)
ROUND_1 = [
    ("Adams, Ann", "Mindfulness training for compassion fatigue in hospice nurses", "2015", "10.1000/a"),
    ("Brown, Ben", "A workshop on vicarious trauma for interpreters", "2016", "10.1000/b"),
    ("Chen, Chao", "Burnout and caseload among police officers", "2017", "10.1000/c"),
    ("Diaz, Dora", "Peer support program for secondary traumatic stress in child welfare", "2018", "10.1000/d"),
    ("Evans, Eve", "Compassion fatigue in family caregivers of people with dementia", "2018", "10.1000/e"),
]
ROUND_2 = [
    ROUND_1[0], ROUND_1[1],  # the update search finds two of the earlier studies again
    ("Fox, Finn", "Resilience training for secondary trauma among refugee service staff", "2021", "10.1000/f"),
    ("Gray, Gus", "Supervision as an intervention for vicarious trauma in therapists", "2022", "10.1000/g"),
]
ROUND_2_OTHER_DATABASE = [ROUND_2[3]]  # a duplicate within the update search

CONFIG = """
review: {id: update-test, title: Update test}
search:
  string: x
  concepts: [["compassion fatigue", "vicarious trauma", "secondary trauma*", burnout]]
sources:
  - {id: medline_2019, name: MEDLINE, path: a.ris}
{round_2}
criteria:
  - {id: inc_intervention, label: Intervention studies, kind: inclusion, stage: full_text}
  - {id: exc_population, label: Wrong population, kind: exclusion, stage: title_abstract}
  - {id: exc_design, label: Wrong design, kind: exclusion, stage: full_text}
hierarchy:
  levels: [{id: best, label: Best}]
  designs: [{id: rct, label: RCT, level: best}]
  precedence: [design]
"""
ROUND_2_SOURCES = """  - {id: medline_2024, name: MEDLINE, path: b.ris, round: 2}
  - {id: cinahl_2024, name: CINAHL, path: c.ris, round: 2}"""

# every first-round decision, by record key (as a reviewer copies it from the work queue)
DECISIONS_ROUND_1 = [
    ("doi:10.1000/a", "title_abstract", "include", ""), ("doi:10.1000/a", "full_text", "include", ""),
    ("doi:10.1000/b", "title_abstract", "include", ""), ("doi:10.1000/b", "full_text", "exclude", "exc_design"),
    ("doi:10.1000/c", "title_abstract", "exclude", "exc_population"),
    ("doi:10.1000/d", "title_abstract", "include", ""), ("doi:10.1000/d", "full_text", "include", ""),
    ("doi:10.1000/e", "title_abstract", "exclude", "exc_population"),
]
DECISIONS_ROUND_2 = [
    ("doi:10.1000/f", "title_abstract", "include", ""), ("doi:10.1000/f", "full_text", "include", ""),
    ("doi:10.1000/g", "title_abstract", "include", ""), ("doi:10.1000/g", "full_text", "exclude", "exc_design"),
]


def ris(rows: list[tuple[str, str, str, str]]) -> bytes:
    return "".join(f"TY  - JOUR\nAU  - {author}\nTI  - {title}\nPY  - {year}\nJO  - Journal\nDO  - {doi}\nER  - \n\n"
                   for author, title, year, doi in rows).encode("utf-8")


def settings_for(rounds: int) -> config.Settings:
    return config.parse(CONFIG.replace("{round_2}", ROUND_2_SOURCES if rounds == 2 else ""))


def run_review(rounds: int, rows: list[tuple[str, str, str, str]]) -> tuple[dict[str, pd.DataFrame], dict,
                                                                            config.Settings]:
    """ingest -> deduplicate -> screen -> prisma.count, as the Snakefile chains them."""
    settings = settings_for(rounds)
    exports = [("medline_2019", ROUND_1)]
    if rounds == 2:
        exports += [("medline_2024", ROUND_2), ("cinahl_2024", ROUND_2_OTHER_DATABASE)]
    frames = [formats.read_export(ris(records), file=f"{source}.ris", source=source) for source, records in exports]
    records, _, studies = deduplicate.deduplicate(ingest.ingest(frames), settings.dedup)
    decisions = pd.DataFrame([(key, stage, decision, reason, "ann", "2024-01-31", "")
                              for key, stage, decision, reason in rows], columns=col.SCREENING_DECISION_COLUMNS)
    decisions = screen.validate_decisions(decisions, "screening/ann.csv", settings, reviewer="ann")
    result = screen.screen(records, studies, decisions, settings)
    counts = prisma.count(result["records"], settings)
    prisma.check(counts)
    return result, counts, settings


def keys_of(queue: pd.DataFrame) -> list[str]:
    return sorted(key for keys in queue["record_keys"] for key in keys.split(";"))


def test_the_first_round_is_fully_decided():
    result, counts, _ = run_review(1, DECISIONS_ROUND_1)
    assert result["queue_title_abstract"].empty and result["queue_full_text"].empty
    assert counts["included"] == {"reports": 2, "studies": 2}
    assert counts["previous"] == {"records": 0, "reports": 0, "studies": 0}


@pytest.fixture(name="update", scope="module")
def fixture_update():
    return run_review(2, DECISIONS_ROUND_1)


def test_adding_a_second_export_queues_only_the_new_studies(update):
    result, _, _ = update
    assert keys_of(result["queue_title_abstract"]) == ["doi:10.1000/f", "doi:10.1000/g"]
    assert result["queue_full_text"].empty
    versions = result["studies"].set_index("record_keys")[screen.REVIEW_VERSION].to_dict()
    assert versions == {"doi:10.1000/a": "previous", "doi:10.1000/b": "previous", "doi:10.1000/c": "previous",
                        "doi:10.1000/d": "previous", "doi:10.1000/e": "previous", "doi:10.1000/f": "new",
                        "doi:10.1000/g": "new"}


def test_earlier_decisions_carry_over_to_the_refound_records(update):
    result, _, _ = update
    records = result["records"].set_index(col.RECORD_ID)
    refound = records[(records[col.SOURCE] == "medline_2024") & records[col.RECORD_KEY].isin(
        ["doi:10.1000/a", "doi:10.1000/b"])]
    assert set(refound[col.PRISMA_BOX]) == {"duplicate"}
    assert set(refound[col.SCREEN_REASON]) == {screen.IN_PREVIOUS_VERSION}
    studies = result["studies"].set_index("record_keys")
    assert studies.loc["doi:10.1000/a", col.SCREEN_DECISION] == "included"
    assert studies.loc["doi:10.1000/b", col.SCREEN_REASON] == "exc_design"
    earlier = records[records[col.SOURCE] == "medline_2019"]
    assert set(earlier[col.PRISMA_BOX]) == {"previous_review"}


def test_the_flow_shows_previous_and_new_studies(update):
    _, counts, settings = update
    assert counts["previous"] == {"records": 5, "reports": 2, "studies": 2}
    # the update search: 4 + 1 records; 2 refound earlier studies and 1 cross-database duplicate removed
    assert counts["identification"]["databases"] == {"CINAHL": 1, "MEDLINE": 4}
    assert counts["removed_before_screening"]["duplicates"] == 3
    assert counts["screening"] == {"excluded": 0, "excluded_by_reason": {}, "pending": 2, "screened": 2}
    assert counts["total"] == {"reports": 2, "studies": 2}
    table = prisma.template(counts, settings).set_index("data")["n"]
    assert (table["previous_studies"], table["new_studies"], table["total_studies"]) == ("2", "0", "2")


def test_deciding_the_new_studies_completes_the_update():
    result, counts, settings = run_review(2, DECISIONS_ROUND_1 + DECISIONS_ROUND_2)
    assert result["queue_title_abstract"].empty and result["queue_full_text"].empty
    assert counts["included"] == {"reports": 1, "studies": 1}
    assert counts["total"] == {"reports": 3, "studies": 3}
    assert counts["eligibility"]["excluded_by_reason"] == {"exc_design": 1}
    table = prisma.template(counts, settings).set_index("data")["n"]
    assert (table["previous_studies"], table["new_studies"], table["total_studies"],
            table["database_specific_results"]) == ("2", "1", "3", "MEDLINE, 4; CINAHL, 1")
    assert "update: 5 studies from the previous version, 2 new" in screen.summary(result)
