"""The studies table lists exactly the records of each study, also when clusters interleave."""

from __future__ import annotations

from test_deduplicate import SETTINGS, make_records

from pipeline import columns as col
from pipeline.deduplicate import deduplicate

PAPERS = [
    {"title": "Peer support groups for child welfare workers", "authors": [["Jones", "K"]], "year": "2012"},
    {"title": "Reiki treatment for mental health professionals", "authors": [["Novoa", "M"]], "year": "2014"},
    {"title": "Debriefing after critical incidents in emergency nursing", "authors": [["Brown", "E"]], "year": "2008"},
]


def test_record_ids_and_counts_belong_to_their_study():
    # record ids interleave the three papers, and the second paper has a single record
    rows = [dict(PAPERS[0], record_id="a:1"), dict(PAPERS[1], record_id="a:2"), dict(PAPERS[2], record_id="a:3"),
            dict(PAPERS[0], record_id="b:1"), dict(PAPERS[2], record_id="b:2"), dict(PAPERS[0], record_id="c:1")]
    records_out, _, studies = deduplicate(make_records(rows), SETTINGS)
    expected = records_out.groupby(col.STUDY_ID)[col.RECORD_ID].agg(lambda ids: ";".join(sorted(ids)))
    listed = studies.set_index(col.STUDY_ID)
    assert listed["record_ids"].to_dict() == expected.to_dict()
    assert listed["n_records"].to_dict() == {study: str(len(ids.split(";"))) for study, ids in expected.items()}
    assert sorted(listed["record_ids"]) == ["a:1;b:1;c:1", "a:2", "a:3;b:2"]
    for kept, members in zip(listed["kept_record_id"], listed["record_ids"]):
        assert kept in members.split(";")
