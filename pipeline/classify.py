"""The ``classify`` stage: give every included study its level in the hierarchy of evidence.

``validate_extraction`` checks the long-form extraction sheet (one row per extracted value) and
resolves every row's key (a ``record_key`` or a ``study_id``) to its study. ``classify`` then
applies the hierarchy's rules in the configured precedence (the first rule that applies gives
the level), records which rule fired and on which values, and ranks every intervention at the
highest level of evidence among the studies that support it: an intervention is at the last
level (contraindicated) only when no study at a higher level supports it. Each study also carries
the design that :mod:`pipeline.suggest` reads in its title and publication types; a suggestion never
changes a level, but where it disagrees with the extracted design (or names one where none was
extracted) the audit lists it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from pipeline import columns as col
from pipeline import raters, suggest
from pipeline.screen import UNKNOWN_KEY_FIX, study_index
from pipeline.config import Hierarchy
from pipeline.errors import ConfigError, DecisionError
from pipeline.io import dumps, file_lines, file_name, loads
from pipeline.progress import Progress
from pipeline.stage import Kind, Stage, file, from_config

log = logging.getLogger(__name__)

KEY, FIELD, VALUE, SOURCE, QUOTE, EXTRACTOR, NOTE = "key", "field", "value", "source", "quote", "extractor", "note"
INTERVENTION = "intervention"
LEVEL_OVERRIDE = "level_override"
SINGLE_VALUED_FIELDS = tuple(f for f in col.EXTRACTION_FIELDS if f != INTERVENTION)
EFFECTS = tuple(e.value for e in col.Effect)

RULE_OVERRIDE = "override"
RULE_NO_EFFECT = "no_effect"
RULE_DESIGN = "design"
UNCLASSIFIED = "unclassified"
KNOWN_RULES = (RULE_OVERRIDE, RULE_NO_EFFECT, RULE_DESIGN)

KEY_FIX = UNKNOWN_KEY_FIX

# classified studies
FIRST_AUTHOR = "first_author"
INTERVENTIONS = "interventions"
SAMPLE_SIZE = "sample_size"
OVERRIDE_REASON = "override_reason"
TRAIL = "trail"
EXTRACTION_SOURCES = "extraction_sources"
SUGGESTED_DESIGN = suggest.SUGGESTED_DESIGN
SUGGESTION_PHRASE = "suggestion_phrase"
DESCRIPTIVE_FIELDS = ("country", "setting", "provider_population", "client_population")
CLASSIFIED_COLUMNS = [
    col.STUDY_ID, FIRST_AUTHOR, col.YEAR, col.TITLE, col.JOURNAL, col.DESIGN, SUGGESTED_DESIGN,
    SUGGESTION_PHRASE, col.EFFECT,
    *DESCRIPTIVE_FIELDS, INTERVENTIONS, SAMPLE_SIZE, col.RULE_LEVEL, col.EVIDENCE_LEVEL,
    col.EVIDENCE_RULE, col.EVIDENCE_INPUTS, OVERRIDE_REASON, TRAIL, EXTRACTION_SOURCES,
]

# audit
KIND = "kind"
DETAIL = "detail"
AUDIT_COLUMNS = [col.STUDY_ID, KIND, DETAIL]
OVERRIDE_DIFFERS = "override_differs_from_rules"
DESIGN_NOT_REPORTED = "design_not_reported"
EXTRACTION_NOT_INCLUDED = "extraction_not_included"
DESIGN_DISAGREES = "design_disagrees_with_suggestion"
DESIGN_SUGGESTED = "design_suggested_not_extracted"

# interventions
N_STUDIES = "n_studies"
STUDY_IDS = "study_ids"


def level_count_column(level_id: str) -> str:
    """Name of the column counting an intervention's studies at one level."""
    return f"n_{level_id}"


# --- validation ------------------------------------------------------------------------------


def validate_extraction(extraction: pd.DataFrame, studies: pd.DataFrame, hierarchy: Hierarchy,
                        file: str, fields: Iterable[str] = tuple(col.EXTRACTION_FIELDS)) -> pd.DataFrame:
    """Check the extraction sheet (or a rater's file, whose ``fields`` add the stated level) and
    resolve every row's key to its study.

    Raises one :class:`DecisionError` for the first bad row, at its line in the file
    (:func:`pipeline.io.file_lines`); further problems are logged. Returns the rows (key, field and value
    stripped of surrounding blanks) plus ``study_id`` and ``line``.
    """
    _check_header(extraction, file)
    frame = extraction.loc[:, col.EXTRACTION_COLUMNS].copy()
    for name in (KEY, FIELD, VALUE, NOTE):
        frame[name] = frame[name].astype(str).str.strip()
    frame[col.LINE] = file_lines(extraction)
    index = study_index(studies)
    moved = {key for cell in studies.get(col.EARLIER_IDS, []) for key in str(cell).split(";")}
    design_ids = [d.id for d in hierarchy.designs]
    level_ids = [lv.id for lv in hierarchy.levels]

    problems: list[tuple[int, DecisionError]] = []
    resolved: list[str] = []
    for line, key, field, value, note in zip(frame[col.LINE], frame[KEY], frame[FIELD], frame[VALUE], frame[NOTE]):
        where = f"{file}:{line}"
        study_ids = index.get(key, [])
        resolved.append(study_ids[0] if len(study_ids) == 1 else "")
        if len(study_ids) == 1 and key != study_ids[0] and key in moved:
            log.info("%s: study '%s' is now part of study '%s'; the value moved with it", where, key, study_ids[0])
        problem = (_row_problem(field, value, note, design_ids, level_ids, tuple(fields))
                   or _key_problem(key, study_ids))
        if problem:
            what, fix = problem
            problems.append((line, DecisionError(what, where=where, fix=fix)))
    frame[col.STUDY_ID] = resolved
    problems.extend(_contradictions(frame, file))
    _raise_first(problems, file)
    return frame.loc[:, [*col.EXTRACTION_COLUMNS, col.STUDY_ID, col.LINE]].reset_index(drop=True)


def _check_header(extraction: pd.DataFrame, file: str) -> None:
    header = ", ".join(col.EXTRACTION_COLUMNS)
    missing = [c for c in col.EXTRACTION_COLUMNS if c not in extraction.columns]
    if missing:
        raise DecisionError(f"the header lacks column(s) {', '.join(missing)}", where=f"{file}:1",
                            fix=f"the header must be: {header}")
    unknown = [str(c) for c in extraction.columns if c not in col.EXTRACTION_COLUMNS]
    if unknown:
        raise DecisionError(f"unknown column(s) {', '.join(unknown)} in the header", where=f"{file}:1",
                            fix=f"the header must be: {header} (put free text in 'note')")


def _row_problem(field: str, value: str, note: str, design_ids: list[str], level_ids: list[str],
                 fields: tuple[str, ...]) -> tuple[str, str] | None:
    """(what, fix) for a row whose field or value is not allowed, else None."""
    if field not in fields:
        return f"unknown field '{field}'", f"use one of: {', '.join(fields)}"
    if not value:
        return (f"field '{field}' has no value",
                f"write the value, or {col.NOT_REPORTED} when the study does not report it")
    if field == col.DESIGN and value not in (*design_ids, col.NOT_REPORTED):
        return (f"design '{value}' is not in the config's design vocabulary",
                f"use one of: {', '.join(design_ids)}, {col.NOT_REPORTED} "
                "(or add the design to hierarchy.designs in config.yaml)")
    if field == col.EFFECT and value not in EFFECTS:
        return f"effect '{value}' is not allowed", f"use one of: {', '.join(EFFECTS)}"
    if field in (LEVEL_OVERRIDE, col.RATER_LEVEL) and value not in level_ids:
        return f"{field} '{value}' is not a level id", f"use one of: {', '.join(level_ids)}"
    if field == LEVEL_OVERRIDE and not note:
        return (f"level_override '{value}' has no reason",
                "say in the 'note' column why the level differs from the rules "
                "(for example where the level is published)")
    return None


def _key_problem(key: str, study_ids: list[str]) -> tuple[str, str] | None:
    if not key:
        return "the key is empty", KEY_FIX
    if not study_ids:
        return f"key '{key}' matches no study", KEY_FIX
    if len(study_ids) > 1:
        return (f"key '{key}' matches {len(study_ids)} studies ({', '.join(study_ids)})",
                "use the study_id of the study you mean")
    return None


def _contradictions(frame: pd.DataFrame, file: str) -> list[tuple[int, DecisionError]]:
    """Rows giving a second, different value for a single-valued field of the same study."""
    first_seen: dict[tuple[str, str], tuple[str, int]] = {}
    problems = []
    for line, study_id, field, value in zip(frame[col.LINE], frame[col.STUDY_ID], frame[FIELD], frame[VALUE]):
        if not study_id or field == INTERVENTION or not value:
            continue
        earlier = first_seen.setdefault((study_id, field), (value, line))
        if earlier[0] != value:
            problems.append((line, DecisionError(
                f"study {study_id}: {field} '{value}' contradicts '{earlier[0]}' on line {earlier[1]}",
                where=f"{file}:{line}",
                fix=f"{field} takes one value per study: keep one of the rows (or correct its key)")))
    return problems


def _raise_first(problems: list[tuple[int, DecisionError]], file: str) -> None:
    if not problems:
        return
    ordered = [error for _, error in sorted(problems, key=lambda item: item[0])]
    for error in ordered[1:]:
        log.error("%s", error.message)
    first = ordered[0]
    if len(ordered) == 1:
        raise first
    raise DecisionError(f"{first.what} (first of {len(ordered)} problems in {file}; the others are logged)",
                        where=first.where, fix=first.fix)


# --- classification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    level: str
    reason: str
    source: str


@dataclass(frozen=True)
class Verdict:
    """The level one pass over the rules gives, the rule that gave it and the values it used."""

    level: str
    rule: str
    inputs: dict[str, str]
    description: str


def decide(design: str, effect: str, override: Override | None, hierarchy: Hierarchy,
           rules: Iterable[str]) -> Verdict:
    """Try ``rules`` in order; the first that applies gives the level."""
    consulted: dict[str, str] = {}
    for rule in rules:
        if rule == RULE_OVERRIDE:
            if override is not None:
                where = "; ".join(part for part in (override.reason, override.source) if part)
                return Verdict(override.level, rule, {"override": override.level, "reason": override.reason},
                               f"override -> {override.level} ({where})")
        elif rule == RULE_NO_EFFECT:
            consulted[col.EFFECT] = effect
            if effect == col.Effect.NO_EFFECT.value and hierarchy.no_effect_level:
                return Verdict(hierarchy.no_effect_level, rule, dict(consulted),
                               f"effect {effect} -> {hierarchy.no_effect_level}")
        elif rule == RULE_DESIGN:
            consulted[col.DESIGN] = design
            level = hierarchy.level_of_design(design)
            if level:
                return Verdict(level, rule, dict(consulted), f"design {design} -> {level}")
        else:
            raise ConfigError(f"hierarchy.precedence: unknown rule '{rule}'", where="config.yaml",
                              fix=f"use rules from: {', '.join(KNOWN_RULES)}")
    return Verdict("", UNCLASSIFIED, {col.DESIGN: design, col.EFFECT: effect},
                   f"no rule applies (design {design}, effect {effect})")


def included_studies(studies: pd.DataFrame) -> pd.DataFrame:
    """The studies screening included, by study id."""
    included = studies.loc[studies[col.SCREEN_DECISION] == col.ScreenDecision.INCLUDED.value]
    return included.sort_values(col.STUDY_ID, kind="stable")


def classify(studies: pd.DataFrame, extraction: pd.DataFrame, hierarchy: Hierarchy,
             suggestions: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(classified, interventions, audit) for the included studies; ``extraction`` is validated.

    ``suggestions`` is :func:`pipeline.suggest.suggest_designs` of the included studies; it is
    computed here when not given.
    """
    included = included_studies(studies)
    if suggestions is None:
        suggestions = suggest.suggest_designs(included, hierarchy)
    suggested = {row[col.STUDY_ID]: row for row in suggestions.to_dict("records")}
    extracted = _rows_by_study(extraction)
    rows: list[dict[str, str]] = []
    findings: list[dict[str, str]] = []
    with Progress("classify", log) as progress:
        progress.start("classifying", len(included), "studies")
        for study in included.to_dict("records"):
            progress.advance()
            study_id = study[col.STUDY_ID]
            row, study_findings = _classify_study(study, extracted.get(study_id, []), hierarchy,
                                                  suggested.get(study_id))
            rows.append(row)
            findings.extend(study_findings)
    findings.extend(_not_included_findings(studies, extracted))
    classified = pd.DataFrame(rows, columns=CLASSIFIED_COLUMNS)
    audit = pd.DataFrame(findings, columns=AUDIT_COLUMNS).sort_values(AUDIT_COLUMNS, kind="stable")
    return classified, rank_interventions(classified, hierarchy), audit.reset_index(drop=True)


def _rows_by_study(extraction: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    ordered = extraction.sort_values(col.LINE, kind="stable") if col.LINE in extraction.columns else extraction
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in ordered.to_dict("records"):
        grouped.setdefault(row[col.STUDY_ID], []).append(row)
    return grouped


def _first_author(authors: str) -> str:
    names = loads(authors or "", [])
    if not names or not names[0]:
        return ""
    first = names[0]
    return str(first[0]) if isinstance(first, list) else str(first)


def _classify_study(study: dict[str, Any], rows: list[dict[str, Any]], hierarchy: Hierarchy,
                    suggestion: dict[str, str] | None) -> tuple[dict[str, str], list[dict[str, str]]]:
    single: dict[str, str] = {}
    for row in rows:
        if row[FIELD] in SINGLE_VALUED_FIELDS:
            single.setdefault(row[FIELD], row[VALUE])
    design = single.get(col.DESIGN, col.NOT_REPORTED)
    effect = single.get(col.EFFECT, col.NOT_REPORTED)
    override_row = next((row for row in rows if row[FIELD] == LEVEL_OVERRIDE), None)
    override = (Override(override_row[VALUE], override_row[NOTE], override_row[SOURCE])
                if override_row is not None else None)
    interventions = sorted({row[VALUE] for row in rows
                            if row[FIELD] == INTERVENTION and row[VALUE] not in ("", col.NOT_REPORTED)})
    verdict = decide(design, effect, override, hierarchy, hierarchy.precedence)
    by_rules = decide(design, effect, None, hierarchy, [r for r in hierarchy.precedence if r != RULE_OVERRIDE])
    study_id = study[col.STUDY_ID]
    suggestion = suggestion or {}
    row = {
        col.STUDY_ID: study_id,
        FIRST_AUTHOR: _first_author(study.get(col.AUTHORS, "")),
        col.YEAR: study.get(col.YEAR, ""),
        col.TITLE: study.get(col.TITLE, ""),
        col.JOURNAL: study.get(col.JOURNAL, ""),
        col.DESIGN: design,
        SUGGESTED_DESIGN: suggestion.get(suggest.SUGGESTED_DESIGN, ""),
        SUGGESTION_PHRASE: suggestion.get(suggest.MATCHED_PHRASE, ""),
        col.EFFECT: effect,
        **{name: single.get(name, col.NOT_REPORTED) for name in DESCRIPTIVE_FIELDS},
        INTERVENTIONS: dumps(interventions),
        SAMPLE_SIZE: single.get(SAMPLE_SIZE, col.NOT_REPORTED),
        col.RULE_LEVEL: by_rules.level,
        col.EVIDENCE_LEVEL: verdict.level,
        col.EVIDENCE_RULE: verdict.rule,
        col.EVIDENCE_INPUTS: dumps(verdict.inputs),
        OVERRIDE_REASON: override.reason if override else "",
        TRAIL: _trail(verdict, by_rules, override, hierarchy),
        EXTRACTION_SOURCES: dumps(_sources(rows)),
    }
    design_source = next((row[SOURCE] for row in rows if row[FIELD] == col.DESIGN and row[VALUE] == design), "")
    findings = _findings(study_id, design, verdict, by_rules, override)
    findings += _suggestion_findings(study_id, design, design_source, suggestion, hierarchy)
    return row, findings


def _trail(verdict: Verdict, by_rules: Verdict, override: Override | None, hierarchy: Hierarchy) -> str:
    if verdict.rule == RULE_OVERRIDE:
        return f"{verdict.description}; rules alone: {by_rules.description}"
    if override is not None:
        return (f"{verdict.description}; override -> {override.level} not used "
                f"(precedence: {', '.join(hierarchy.precedence)})")
    return verdict.description


def _sources(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    sources: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        sources.setdefault(row[FIELD], []).append(
            {VALUE: row[VALUE], SOURCE: row[SOURCE], QUOTE: row[QUOTE], EXTRACTOR: row[EXTRACTOR]})
    return sources


def _findings(study_id: str, design: str, verdict: Verdict, by_rules: Verdict,
              override: Override | None) -> list[dict[str, str]]:
    found = []
    if override is not None and by_rules.level and override.level != by_rules.level:
        found.append({col.STUDY_ID: study_id, KIND: OVERRIDE_DIFFERS,
                      DETAIL: f"override {override.level} but the rules give {by_rules.level} "
                              f"({by_rules.description}); reason: {override.reason}"})
    if verdict.rule == UNCLASSIFIED:
        found.append({col.STUDY_ID: study_id, KIND: UNCLASSIFIED,
                      DETAIL: f"{verdict.description}; add a design from the config vocabulary, "
                              "or a level_override with its reason, to the extraction sheet"})
    if design == col.NOT_REPORTED:
        level = verdict.level or "no level"
        found.append({col.STUDY_ID: study_id, KIND: DESIGN_NOT_REPORTED,
                      DETAIL: f"no design extracted; {level} by rule {verdict.rule}"})
    return found


def _suggestion_findings(study_id: str, design: str, design_source: str, suggestion: dict[str, str],
                         hierarchy: Hierarchy) -> list[dict[str, str]]:
    """Where the suggested design and the extracted one part: listed for a human, never applied."""
    suggested = suggestion.get(suggest.SUGGESTED_DESIGN, "")
    if not suggested or suggested == design:
        return []
    level = hierarchy.level_of_design(suggested) or "no level"
    field = suggestion.get(suggest.MATCHED_FIELD, "")
    says = suggest.FIELD_SAYS.get(field, f"the {field} says")
    reading = (f"{says} '{suggestion.get(suggest.MATCHED_PHRASE, '')}' "
               f"(suggestion rule {suggestion.get(suggest.SUGGESTION_RULE, '')}) -> {suggested} ({level})")
    if design == col.NOT_REPORTED:
        return [{col.STUDY_ID: study_id, KIND: DESIGN_SUGGESTED,
                 DETAIL: f"no design extracted; {reading}; add the design to the extraction sheet if the "
                         "study's full text confirms it"}]
    extracted_level = hierarchy.level_of_design(design) or "no level"
    source = f", {design_source}" if design_source else ""
    return [{col.STUDY_ID: study_id, KIND: DESIGN_DISAGREES,
             DETAIL: f"extracted {design} ({extracted_level}{source}) but {reading}; "
                     "the extraction stands: check the study and correct whichever is wrong"}]


def _not_included_findings(studies: pd.DataFrame, extracted: dict[str, list[dict[str, Any]]]) -> list[dict[str, str]]:
    """Extraction rows for studies that are not (or no longer) included: reported, not classified."""
    decisions = dict(zip(studies[col.STUDY_ID], studies[col.SCREEN_DECISION]))
    found = []
    for study_id in sorted(extracted):
        decision = decisions.get(study_id, "")
        if decision == col.ScreenDecision.INCLUDED.value:
            continue
        lines = ", ".join(str(row.get(col.LINE, "")) for row in extracted[study_id])
        found.append({col.STUDY_ID: study_id, KIND: EXTRACTION_NOT_INCLUDED,
                      DETAIL: f"{len(extracted[study_id])} extraction row(s) (lines {lines}) for a study whose "
                              f"screen_decision is '{decision}'; they are not classified"})
    return found


# --- interventions ---------------------------------------------------------------------------


def rank_interventions(classified: pd.DataFrame, hierarchy: Hierarchy) -> pd.DataFrame:
    """One row per intervention at the highest level among the studies that support it.

    A study without a level (unclassified) still counts in ``n_studies`` and ``study_ids``;
    an intervention supported only by such studies has ``evidence_level`` "" and sorts last.
    """
    level_ids = [lv.id for lv in hierarchy.levels]
    count_columns = [level_count_column(level) for level in level_ids]
    columns = [INTERVENTION, col.EVIDENCE_LEVEL, N_STUDIES, STUDY_IDS, *count_columns]
    pairs = pd.DataFrame({
        col.STUDY_ID: classified[col.STUDY_ID],
        col.EVIDENCE_LEVEL: classified[col.EVIDENCE_LEVEL],
        INTERVENTION: classified[INTERVENTIONS].map(lambda text: loads(text, [])),
    }).explode(INTERVENTION).dropna(subset=[INTERVENTION]).drop_duplicates()
    rows = []
    for intervention, group in pairs.groupby(INTERVENTION, sort=True):
        levels = group[col.EVIDENCE_LEVEL]
        ranked = sorted({level for level in levels if level in level_ids}, key=level_ids.index)
        row = {
            INTERVENTION: intervention,
            col.EVIDENCE_LEVEL: ranked[0] if ranked else "",
            N_STUDIES: group[col.STUDY_ID].nunique(),
            STUDY_IDS: ";".join(sorted(group[col.STUDY_ID].unique())),
        }
        for level, name in zip(level_ids, count_columns):
            row[name] = int(group.loc[levels == level, col.STUDY_ID].nunique())
        rows.append(row)
    table = pd.DataFrame(rows, columns=columns)
    rank = table[col.EVIDENCE_LEVEL].map(lambda level: level_ids.index(level) if level in level_ids else len(level_ids))
    ordered = table.assign(_rank=rank).sort_values(["_rank", INTERVENTION], kind="stable")
    return ordered.drop(columns="_rank").reset_index(drop=True)


# --- summary ---------------------------------------------------------------------------------


def summary(classified: pd.DataFrame, hierarchy: Hierarchy | None = None) -> str:
    """One line: included studies, studies per level, overrides and how many differ from the rules.

    Levels are listed in the hierarchy's order when it is given, else alphabetically.
    """
    levels = classified[col.EVIDENCE_LEVEL]
    counts = levels[levels != ""].value_counts()
    order = [lv.id for lv in hierarchy.levels] if hierarchy else sorted(counts.index)
    parts = [f"{level}={int(counts.get(level, 0))}" for level in order]
    unclassified = int((levels == "").sum())
    if unclassified:
        parts.append(f"{UNCLASSIFIED}={unclassified}")
    by_override = classified[col.EVIDENCE_RULE] == RULE_OVERRIDE
    differ = by_override & (classified[col.RULE_LEVEL] != "") & (classified[col.RULE_LEVEL] != levels)
    line = (f"classify: {len(classified)} included studies; {', '.join(parts)}; "
            f"{int(by_override.sum())} by override ({int(differ.sum())} differ from the rules)")
    if SUGGESTED_DESIGN in classified.columns and col.DESIGN in classified.columns:
        suggested = classified[SUGGESTED_DESIGN].fillna("")
        extracted = classified[col.DESIGN].fillna("")
        parted = (suggested != "") & (suggested != extracted)
        unextracted = parted & (extracted == col.NOT_REPORTED)
        line += (f"; designs suggested for {int((suggested != '').sum())} "
                 f"({int((parted & ~unextracted).sum())} disagree with the extraction, "
                 f"{int(unextracted.sum())} where none was extracted)")
    return line


# --- the stage's contract -------------------------------------------------------------------


SCREENED = Kind("table", "the screened studies", required=(col.STUDY_ID, col.RECORD_KEYS, col.SCREEN_DECISION))
SHEET = Kind("table", "the extraction sheet", required=tuple(col.EXTRACTION_COLUMNS), line_numbers=True,
             optional=True, empty=tuple(col.EXTRACTION_COLUMNS))


@dataclass(frozen=True)
class Inputs:
    studies: pd.DataFrame = file(SCREENED)
    extraction: pd.DataFrame = file(SHEET)
    resolutions: pd.DataFrame = file(raters.RESOLUTIONS_FILE)
    raters: dict = file(raters.RATER_FILES)


@dataclass(frozen=True)
class Outputs:
    studies: pd.DataFrame = file(Kind("table", "the included studies with design, effect and evidence level"))
    interventions: pd.DataFrame = file(Kind("table", "each intervention at its highest level"))
    audit: pd.DataFrame = file(Kind("table", "what the audit of the classification found"))
    suggestions: pd.DataFrame = file(Kind("table", "the design each study's title and types suggest"))


def run(inputs: Inputs, settings: Hierarchy) -> Outputs:
    extraction = validate_extraction(inputs.extraction, inputs.studies, settings,
                                     file_name(inputs.extraction, "extraction sheet"))
    if inputs.raters or len(inputs.resolutions):
        extraction = raters.combine(extraction, raters.validate_raters(inputs.raters, inputs.studies, settings),
                                    raters.validate_resolutions(inputs.resolutions, inputs.studies, settings)).extraction
    suggestions = suggest.suggest_designs(included_studies(inputs.studies), settings)
    classified, interventions, audit = classify(inputs.studies, extraction, settings, suggestions)
    log.info(suggest.summary(suggestions))
    log.info(summary(classified, settings))
    return Outputs(classified, interventions, audit, suggestions)


STAGE = Stage("classify", "give every included study its evidence level", Inputs, Outputs, run,
              from_config(lambda settings: settings.hierarchy))
