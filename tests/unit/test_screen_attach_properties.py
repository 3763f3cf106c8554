"""Property: whatever exports are added and duplicate pairs settled, no decision is orphaned or
applied twice.

A review grows by steps: a new export (any mix of four papers, each as a record without ids, with
a PMID, with a DOI, or under a longer title with the PMID), a reviewer settling two records
``same`` or ``different``, or a reviewer deciding one of the current studies, keyed as the queue
keys it (the study_id) or by a record_key that names only that study. After every step each
decision attaches to exactly one current study, and that study still holds a record of the study
it was made on (or a record with the same content key). A record_key that has come to name records
of several studies is refused with an error naming it; nothing is silently applied to several.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from suite import examples

from pipeline import columns as col
from pipeline import config, deduplicate, formats, ingest, screen
from pipeline.errors import DecisionError

SETTINGS = config.parse("""
sources:
  - {id: x0, path: x0.csv}
criteria:
  - {id: exc_topic, label: Off topic, kind: exclusion, stage: title_abstract}
""")
PAPERS = [("Mindfulness training for hospice nurses", "Seo, H. J.", "2019"),
          ("Burnout among emergency physicians in rural hospitals", "Park, E.-J.", "2020"),
          ("Compassion fatigue in child welfare workers", "Kim, S.", "2018"),
          ("Resilience workshops for trauma therapists", "Lee, D.", "2021")]
VARIANTS = 4  # no ids; PMID; DOI; a longer title with the PMID


def row(paper: int, variant: int) -> str:
    title, author, year = PAPERS[paper]
    pmid = f"3100000{paper}" if variant in (1, 3) else ""
    doi = f"10.1000/paper{paper}" if variant == 2 else ""
    title = f"{title}: a randomised trial" if variant == 3 else title
    return f'{paper}{variant},"{title}","{author}",{year},{doi},{pmid}'


def review(exports: list[frozenset], settled: dict, decisions: list[dict]):
    frames = [formats.read_export(("id,title,authors,year,doi,pmid\n" + "\n".join(row(*r) for r in sorted(export))
                                   + "\n").encode(), file=f"x{n}.csv", source=f"x{n}")
              for n, export in enumerate(exports)]
    records = ingest.ingest(frames)
    pairs = pd.DataFrame([{"record_key_a": a, "record_key_b": b, "decision": d, "reviewer": "ann", "note": ""}
                          for (a, b), d in sorted(settled.items())], columns=col.DUPLICATE_DECISION_COLUMNS)
    records, _, studies = deduplicate.deduplicate(records, SETTINGS.dedup, pairs if len(pairs) else None)
    records = records.fillna("").astype(str)
    return records, studies.fillna("").astype(str)


def decision_frame(decisions: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{"key": d["key"], "stage": "title_abstract", "decision": "include", "reason": "",
                           "reviewer": d["reviewer"], "date": "", "note": ""} for d in decisions],
                         columns=col.SCREENING_DECISION_COLUMNS)
    return screen.validate_decisions(frame, "decisions.csv", SETTINGS)


steps = st.lists(st.one_of(
    st.tuples(st.just("export"), st.frozensets(st.tuples(st.integers(0, len(PAPERS) - 1),
                                                         st.integers(0, VARIANTS - 1)), min_size=1, max_size=5)),
    st.tuples(st.just("settle"), st.integers(0, 50), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("decide"), st.integers(0, 50), st.booleans()),
), min_size=2, max_size=6)


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_no_decision_is_orphaned_or_applied_twice(plan):
    exports: list[frozenset] = [frozenset({(0, 0), (1, 1)})]
    settled: dict[tuple[str, str], str] = {}
    decisions: list[dict] = []
    records, studies = review(exports, settled, decisions)
    for step in plan:
        keys = sorted(set(records[col.RECORD_KEY]))
        if step[0] == "export":
            exports.append(step[1])
        elif step[0] == "settle" and len(keys) > 1:
            a, b = keys[step[1] % len(keys)], keys[step[2] % len(keys)]
            if a != b:
                settled[tuple(sorted((a, b)))] = "same" if step[3] else "different"
        elif step[0] == "decide":
            study_ids = sorted(set(records[col.STUDY_ID]))
            study = study_ids[step[1] % len(study_ids)]
            own = records[records[col.STUDY_ID] == study]
            alone = [key for key in sorted(set(own[col.RECORD_KEY]))
                     if set(records.loc[records[col.RECORD_KEY] == key, col.STUDY_ID]) == {study}]
            key = alone[0] if step[2] and alone else study
            decisions.append({"key": key, "reviewer": f"r{len(decisions)}", "records": set(own[col.RECORD_ID]),
                              "keys": set(own[col.RECORD_KEY])})
        records, studies = review(exports, settled, decisions)
        check(records, studies, decisions)


def check(records: pd.DataFrame, studies: pd.DataFrame, decisions: list[dict]) -> None:
    if not decisions:
        return
    frame = decision_frame(decisions)
    try:
        attached = screen._attach(frame, screen.KeyIndex(records))
    except DecisionError as error:
        # only a record_key now naming records of several studies may stop the run, and it says so
        key = error.message.split("key '")[1].split("'")[0]
        assert " names " in error.message and key.startswith(("doi:", "pmid:", "ref:")), error.message
        assert records.loc[records[col.RECORD_KEY] == key, col.STUDY_ID].nunique() > 1
        return
    assert len(attached) == len(decisions)  # none dropped, none applied twice
    current = set(records[col.STUDY_ID])
    for decision, study in zip(decisions, attached[col.STUDY_ID]):
        assert study in current
        holds = records[records[col.STUDY_ID] == study]
        assert decision["records"] & set(holds[col.RECORD_ID]) or decision["keys"] & set(holds[col.RECORD_KEY])
    result = screen.screen(records, studies, frame, SETTINGS)
    decided = result["studies"].set_index(col.STUDY_ID)["ta_reviewers"]
    for decision, study in zip(decisions, attached[col.STUDY_ID]):
        assert decision["reviewer"] in decided[study].split(";")
