"""Replaying a real labelled review through screen and prisma gives exactly its published counts.

Cohen et al. (2006), ADHD drug-class review, as shipped in ASReview's systematic-review-datasets
(../shared/data/screening/ADHD.csv): 851 records, 84 kept at title/abstract screening, 20 included.
The file is already one row per study (unique PubMed ids), so deduplication is bypassed: every record
is its own study (study_id from the record id), as the deduplicate stage would leave a unique record.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import columns as col
from pipeline import config, prisma, screen

CONFIG = """
review: {id: cohen-2006-adhd, title: "ADHD drug-class review (Cohen et al. 2006), replayed"}
search: {string: "ADHD drug-class search (MEDLINE)"}
sources:
  - {id: adhd, name: MEDLINE, path: ADHD.csv}
criteria:
  - {id: ta_not_relevant, label: Not relevant on title and abstract, kind: exclusion, stage: title_abstract}
  - {id: ft_not_eligible, label: Not eligible on full text, kind: exclusion, stage: full_text}
hierarchy:
  levels: [{id: any, label: Any}]
  designs: [{id: any_design, label: Any design, level: any}]
  precedence: [design]
"""


def labelled_review(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Records (one study each), studies, and one reviewer's decisions at both stages from the labels."""
    labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    records = pd.DataFrame({name: "" for name in [*col.RECORD_COLUMNS, *col.DEDUP_COLUMNS]}, index=labels.index)
    records[col.RECORD_ID] = "adhd:" + labels["record_id"]
    records[col.RECORD_KEY] = "pmid:" + labels["pubmedID"]
    records[col.SOURCE] = "adhd"
    records[col.TITLE] = labels["title"]
    records[col.ABSTRACT] = labels["abstract"]
    records[col.YEAR] = labels["year"].str.replace(r"\.0$", "", regex=True)
    records[col.STUDY_ID] = "adhd-" + labels["record_id"]
    records[col.IS_DUPLICATE] = "false"
    studies = records[[col.STUDY_ID, col.TITLE, col.ABSTRACT, col.YEAR]].reset_index(drop=True)
    past_abstract = labels["label_abstract_screening"] == "1"
    title_abstract = pd.DataFrame({
        "key": records[col.RECORD_KEY], "stage": "title_abstract",
        "decision": past_abstract.map({True: "include", False: "exclude"}),
        "reason": past_abstract.map({True: "", False: "ta_not_relevant"})})
    included = labels.loc[past_abstract, "label_included"] == "1"
    full_text = pd.DataFrame({
        "key": records.loc[past_abstract, col.RECORD_KEY], "stage": "full_text",
        "decision": included.map({True: "include", False: "exclude"}),
        "reason": included.map({True: "", False: "ft_not_eligible"})})
    decisions = pd.concat([title_abstract, full_text], ignore_index=True).assign(reviewer="cohen2006", date="",
                                                                                note="")
    return records, studies, decisions


def test_replaying_the_adhd_review_gives_its_counts(shared_data):
    settings = config.parse(CONFIG)
    records, studies, raw = labelled_review(shared_data / "screening" / "ADHD.csv")
    decisions = screen.validate_decisions(raw, "screening/cohen2006.csv", settings)
    result = screen.screen(records, studies, decisions, settings)
    counts = prisma.count(result["records"], settings)
    prisma.check(counts)
    numbers = {"records": counts["records_total"], "screened": counts["screening"]["screened"],
               "excluded on title/abstract": counts["screening"]["excluded"],
               "past title/abstract": counts["retrieval"]["sought"],
               "assessed": counts["eligibility"]["assessed"],
               "excluded on full text": counts["eligibility"]["excluded"],
               "included studies": counts["included"]["studies"], "included reports": counts["included"]["reports"]}
    assert numbers == {"records": 851, "screened": 851, "excluded on title/abstract": 767,
                       "past title/abstract": 84, "assessed": 84, "excluded on full text": 64,
                       "included studies": 20, "included reports": 20}
    assert counts["screening"]["excluded_by_reason"] == {"ta_not_relevant": 767}
    assert counts["eligibility"]["excluded_by_reason"] == {"ft_not_eligible": 64}
    assert result["queue_title_abstract"].empty and result["queue_full_text"].empty
    assert result["agreement"].empty  # one reviewer: nothing to compare
    template = prisma.template(counts, settings).set_index("data")["n"]
    assert (template["database_specific_results"], template["records_screened"], template["dbr_excluded"],
            template["new_studies"]) == ("MEDLINE, 851", "851", "Not eligible on full text, 64", "20")

