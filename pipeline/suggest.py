"""Design suggestions: a transparent, rule-based reading of what a study says its design is.

The suggester reads a study's publication types, title, keywords and abstract, and names the
design of the first rule in :data:`SUGGESTION_RULES` whose pattern the study matches, with the
phrase it matched, the field it was found in and the rule's id. It looks in two passes:

1. the fields a study *declares* (``publication_types``, ``title``, ``keywords``), rule by rule in
   table order, each rule trying its fields in that order;
2. only when nothing matched there, the ``abstract`` (abstracts name other designs in passing, as
   in "previous systematic reviews found ...", so they come last).

The table is ordered from the most specific statement of a design to the weakest: "systematic
review" and "meta-analysis" before "randomized trial" (a review of trials is a review), "non-
randomised" before "randomized" (so the negation wins), any trial before "pilot", a named review
type before a bare "review". Every rule maps to a design id of the shipped config's vocabulary.
For a review whose vocabulary lacks a rule's design the rule still matches first (so a weaker rule
cannot misread the same words: a systematic review of trials is never suggested as a trial), but
the suggested design is left empty while the phrase, field and rule are kept. A suggestion never
changes a level: ``classify`` lists where it disagrees with the extractor, for a human to look at.

Following the shipped extraction's conventions, non-systematic reviews (scoping, integrative,
narrative, literature, historical reviews, research syntheses and metasyntheses) are suggested as
``realist_review``, and titles stating prevalence, predictors, correlates or risk factors as
``cross_sectional_survey``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from pipeline import columns as col
from pipeline.config import Hierarchy
from pipeline.errors import PipelineError

log = logging.getLogger(__name__)

SUGGESTED_DESIGN = "suggested_design"
MATCHED_PHRASE = "matched_phrase"
MATCHED_FIELD = "matched_field"
SUGGESTION_RULE = "suggestion_rule"
SUGGESTION_COLUMNS = [col.STUDY_ID, SUGGESTED_DESIGN, MATCHED_PHRASE, MATCHED_FIELD, SUGGESTION_RULE]

DECLARED_FIELDS = (col.PUBLICATION_TYPES, col.TITLE, col.KEYWORDS)
LAST_RESORT_FIELDS = (col.ABSTRACT,)
LIST_FIELDS = (col.PUBLICATION_TYPES, col.KEYWORDS)
ALL_FIELDS = (*DECLARED_FIELDS, *LAST_RESORT_FIELDS)
FIELD_SAYS = {
    col.PUBLICATION_TYPES: "the publication types say", col.TITLE: "the title says",
    col.KEYWORDS: "the keywords say", col.ABSTRACT: "the abstract says",
}


@dataclass(frozen=True)
class SuggestionRule:
    """One line of the phrase table: where to look, what to look for, which design it suggests.

    ``pattern`` is a case-insensitive regular expression searched in each field of ``fields``
    (in each item of a list field); ``examples`` are phrases it must match (the tests check them).
    """

    id: str
    design: str
    pattern: str
    fields: tuple[str, ...]
    examples: tuple[str, ...]
    why: str


_RANDOMISED = r"randomi[sz]ed"

# The phrase table. Its order is the precedence: the first rule that matches gives the suggestion.
SUGGESTION_RULES: tuple[SuggestionRule, ...] = (
    SuggestionRule(
        "meta_analysis", "systematic_review",
        r"\bmeta-?\s?analy(?:sis|ses|tic)\b", ALL_FIELDS,
        ("Meta-analysis of risk factors", "Meta-Analysis", "a meta analysis"),
        "a meta-analysis pools the studies a systematic search found",
    ),
    SuggestionRule(
        "systematic_review", "systematic_review",
        r"\bsystematic\s+(?:literature\s+)?review\b", ALL_FIELDS,
        ("A Systematic Review.", "Systematic Review", "a comprehensive systematic literature review"),
        "the study calls itself a systematic review",
    ),
    SuggestionRule(
        "non_randomised", "quasi_experiment",
        r"\bnon-?\s?(?:" + _RANDOMISED + r")\b", ALL_FIELDS,
        ("A non-randomized study", "nonrandomised controlled trial"),
        "a controlled comparison without randomisation; checked before 'randomized'",
    ),
    SuggestionRule(
        "randomised_trial", "rct",
        r"\b(?:randomi[sz]ed|random)\s+(?:controlled\s+|control\s+|clinical\s+)?(?:group\s+)?trials?\b"
        r"|\b(?:" + _RANDOMISED + r")\s+(?:controlled\s+)?(?:study|experiment)\b|\bRCT\b"
        r"|\brandomly\s+(?:assigned|allocated)\b",
        ALL_FIELDS,
        ("Randomized Controlled Trial", "A random control group trial", "A randomised trial", "a pilot RCT",
         "nurses were randomly allocated"),
        "the study says it randomised its participants (MEDLINE PT: Randomized Controlled Trial)",
    ),
    SuggestionRule(
        "quasi_experiment", "quasi_experiment",
        r"\bquasi-?\s?experiment(?:al|s)?\b|\bcontrolled\s+(?:clinical\s+)?(?:trial|study)\b"
        r"|\b(?:wait-?\s?list|comparison|control)\s+(?:group|condition)\b",
        ALL_FIELDS,
        ("a quasi-experimental design", "A Controlled Trial.", "Controlled Clinical Trial", "a wait list condition"),
        "a comparison with a control group that the study does not call randomised",
    ),
    SuggestionRule(
        "metasynthesis", "realist_review",
        r"\bmeta-?\s?synthes[ie]s\b", ALL_FIELDS,
        ("A metasynthesis on vicarious trauma", "a meta-synthesis of 20 qualitative studies"),
        "a synthesis of qualitative studies; the vocabulary counts it with the non-systematic reviews",
    ),
    SuggestionRule(
        "named_review", "realist_review",
        r"\brealist\s+(?:review|synthesis)\b"
        r"|\b(?:scoping|integrative|narrative|literature|historical|critical|rapid)\s+(?:literature\s+)?review\b"
        r"|\breview\s+of\s+(?:the\s+)?literature\b|\bresearch\s+synthesis\b",
        ALL_FIELDS,
        ("A scoping review", "An integrative literature review", "A Review of the Literature",
         "Historical Review", "A research synthesis", "a realist review"),
        "a named non-systematic review; the vocabulary's row for these is Realist review",
    ),
    SuggestionRule(
        "pre_post", "one_group_pre_post",
        r"\bpre-?\s?test(?:ing)?[\s,/–-]*(?:and\s+)?post-?\s?test(?:ing)?\b|\bpre[\s/–-]*(?:and\s+)?post\b"
        r"|\bbefore[\s-]+and[\s-]+after\b|\b(?:one|single)[\s-]+group\b",
        ALL_FIELDS,
        ("a pretest-posttest design", "pre-test post-test", "pre- and post-intervention", "pre-post",
         "a one-group design", "before and after the workshop"),
        "one group measured before and after the intervention",
    ),
    SuggestionRule(
        "pilot", "one_group_pre_post",
        r"\bpilot(?:ed|ing)?\b", ALL_FIELDS,
        ("A Pilot Study Examining", "an eight-week pilot program"),
        "a pilot of an intervention, usually one group before and after; checked after every trial",
    ),
    SuggestionRule(
        "qualitative", "qualitative_interviews",
        r"\bqualitative\b|\binterview(?:s|ed)?\b|\bfocus\s+groups?\b|\bphenomenolog\w*|\bgrounded\s+theory\b"
        r"|\bthematic\s+analysis\b",
        ALL_FIELDS,
        ("Qualitative Study", "semi-structured interviews", "a phenomenological study", "focus groups"),
        "providers' accounts analysed qualitatively",
    ),
    SuggestionRule(
        "cross_sectional", "cross_sectional_survey",
        r"\bcross-?\s?sectional\b|\bsurvey(?:s|ed)?\b|\bprevalence\b|\bpredictors?\b|\bcorrelates\b"
        r"|\brisk\s+(?:and\s+protective\s+)?factors\b",
        ALL_FIELDS,
        ("a cross-sectional study", "The prevalence of secondary traumatic stress", "Predictors of burnout",
         "Prevalence and correlates", "Workplace risk and protective factors", "an online survey"),
        "a one-time measurement of providers; the shipped extraction reads prevalence, predictors and "
        "correlates in a title this way",
    ),
    SuggestionRule(
        "case_study", "case_study",
        r"\bcase\s+(?:study|studies|reports?|examples?|series)\b", ALL_FIELDS,
        ("a case study utilizing EMDR", "Case Reports"),
        "a single case or setting described in depth (MEDLINE PT: Case Reports)",
    ),
    SuggestionRule(
        "program_description", "program_description",
        r"\bprogram(?:me)?\s+description\b|\bproposal\s+for\b|\blessons\s+(?:learned|from\s+the\s+field)\b"
        r"|\breports?\s+from\s+the\s+field\b",
        ALL_FIELDS,
        ("A Proposal for a Mindfulness-Based Trauma Prevention Program", "Lessons from the field",
         "Reports from the field", "a program description"),
        "a programme or experience described, not evaluated",
    ),
    SuggestionRule(
        "opinion_type", "opinion",
        r"^(?:editorial|comment|letter|news)$", (col.PUBLICATION_TYPES,),
        ("Editorial", "Comment"),
        "MEDLINE publication types of opinion pieces",
    ),
    SuggestionRule(
        "opinion", "opinion",
        r"\bcommentary\b|\beditorial\b|\bessay\b|\bopinion\b|\bperspectives?\b|\breflections?\b|\bviewpoint\b",
        ALL_FIELDS,
        ("Reflections on the Emotional Hazards", "a commentary", "Four Decades of Perspectives"),
        "the author's view, not a study",
    ),
    SuggestionRule(
        "review", "realist_review",
        r"\breview\b", ALL_FIELDS,
        ("Review", "A review of compassion fatigue", "Review and recommendations"),
        "a review the study does not call systematic (MEDLINE PT: Review); checked last",
    ),
)


def _items(field: str, text: str) -> list[str]:
    """The texts to search in one cell: the items of a JSON list field, else the cell itself."""
    text = str(text or "")
    if field in LIST_FIELDS:
        try:
            value = json.loads(text) if text.strip() else []
        except json.JSONDecodeError:
            value = text.split(";")
        items = value if isinstance(value, list) else [value]
    else:
        items = [text]
    return [" ".join(str(item).split()) for item in items if str(item).strip()]


@dataclass(frozen=True)
class Suggestion:
    """The design a rule suggests, the words it matched, the field they are in, and the rule id."""

    design: str
    phrase: str
    field: str
    rule: str


def suggest_one(fields: dict[str, str], rules: Sequence[SuggestionRule]) -> Suggestion | None:
    """The first rule matching the declared fields, else the first matching the abstract."""
    for allowed in (DECLARED_FIELDS, LAST_RESORT_FIELDS):
        for rule in rules:
            for field in (f for f in allowed if f in rule.fields):
                for item in _items(field, fields.get(field, "")):
                    found = re.search(rule.pattern, item, re.IGNORECASE)
                    if found:
                        return Suggestion(rule.design, found.group(0), field, rule.id)
    return None


def suggest_designs(studies: pd.DataFrame, hierarchy: Hierarchy,
                    rules: Sequence[SuggestionRule] = SUGGESTION_RULES) -> pd.DataFrame:
    """One row per study: the suggested design, the phrase and field it came from, and the rule id.

    Studies nothing matches get empty cells; a match whose design is not in ``hierarchy.designs``
    keeps its phrase, field and rule with an empty design. Absent text columns (no abstracts or
    keywords in the export) are read as empty. Rows are sorted by study id.
    """
    if col.STUDY_ID not in studies.columns:
        raise PipelineError(f"studies lack the column '{col.STUDY_ID}'", where="studies (screen stage)",
                            fix="pass the screen stage's studies.csv")
    vocabulary = {design.id for design in hierarchy.designs}
    present = [field for field in ALL_FIELDS if field in studies.columns]
    frame = studies.loc[:, [col.STUDY_ID, *present]].astype(object)
    frame = frame.where(frame.notna(), "").astype(str)
    rows = []
    for record in frame.to_dict("records"):
        found = suggest_one(record, rules)
        if found is not None and found.design not in vocabulary:
            log.debug("suggest: %s matches rule %s, but design %s is not in the vocabulary",
                      record[col.STUDY_ID], found.rule, found.design)
        rows.append({
            col.STUDY_ID: record[col.STUDY_ID],
            SUGGESTED_DESIGN: found.design if found and found.design in vocabulary else "",
            MATCHED_PHRASE: found.phrase if found else "",
            MATCHED_FIELD: found.field if found else "",
            SUGGESTION_RULE: found.rule if found else "",
        })
    table = pd.DataFrame(rows, columns=SUGGESTION_COLUMNS, dtype=str)
    return table.sort_values(col.STUDY_ID, kind="stable").reset_index(drop=True)


def summary(suggestions: pd.DataFrame) -> str:
    """One line: how many studies got a suggestion, by design."""
    designs = suggestions[SUGGESTED_DESIGN]
    tally = designs[designs != ""].value_counts()
    parts = ", ".join(f"{design}={int(n)}" for design, n in sorted(tally.items()))
    return f"suggest: {int((designs != '').sum())} of {len(suggestions)} studies have a suggested design" + (
        f" ({parts})" if parts else "")
