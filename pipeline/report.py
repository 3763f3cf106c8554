"""The ``report`` stage: one self-contained HTML audit report a reviewer opens offline.

``build_report`` turns the tables the other stages wrote into one HTML page: the PRISMA diagram,
the tables and figures, the reconciliation, agreement statistics, audit findings and a searchable,
filterable list of studies and records, each with a card that follows it from the raw exports to
its evidence level.

This module gathers and checks what the page shows (:func:`report_data`: plain JSON-ready values);
:mod:`pipeline.render.page` makes the page from it and from the package's HTML, CSS and JavaScript
files, with every piece of record text carried as escaped JSON and shown by the page's script as text
only, under a Content-Security-Policy that allows no network; the figures are inlined as SVG only after
:mod:`pipeline.render.svg` finds nothing in them but drawing. The same inputs always give the same bytes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from pipeline import audit, robustness
from pipeline import columns as col
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.io import loads
from pipeline.render.page import report_page
from pipeline.screen import study_index
from pipeline.stage import Kind, Stage, file, from_config
from pipeline.stopping import methods_text

log = logging.getLogger(__name__)

BOX_LABELS = {
    col.PrismaBox.DUPLICATE.value: "Duplicate record removed",
    col.PrismaBox.AUTOMATION.value: "Marked ineligible by automation",
    col.PrismaBox.OTHER_REMOVED.value: "Removed for other reasons",
    col.PrismaBox.TA_EXCLUDED.value: "Excluded at title/abstract",
    col.PrismaBox.NOT_RETRIEVED.value: "Report not retrieved",
    col.PrismaBox.FT_EXCLUDED.value: "Excluded at full text",
    col.PrismaBox.INCLUDED.value: "Included",
    col.PrismaBox.PENDING_TA.value: "Awaiting a title/abstract decision",
    col.PrismaBox.PENDING_FT.value: "Awaiting a full-text decision",
}

STUDY_FIELDS = [col.STUDY_ID, col.KEPT_RECORD_ID, col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL, col.DOI, col.ABSTRACT,
                "provenance", "ta_decision", "ft_decision", col.SCREEN_STAGE, col.SCREEN_DECISION, col.SCREEN_REASON,
                col.SCREEN_BY, col.PRISMA_BOX]
RECORD_FIELDS = [col.RECORD_ID, col.RECORD_KEY, col.SOURCE, col.FILE, col.LINE, col.FORMAT, col.DIALECT,
                 col.ENTRY_TYPE, col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL, col.VOLUME, col.ISSUE, col.PAGES,
                 col.DOI, col.PMID, col.ACCESSION, col.DATABASE, col.LANGUAGE, col.PROBLEMS, col.ABSTRACT,
                 col.STUDY_ID, col.IS_DUPLICATE, col.DEDUP_RULE, col.DEDUP_WITH, *col.SCREEN_COLUMNS]
REQUIRED_RECORD_COLUMNS = [col.RECORD_ID, col.RECORD_KEY, col.SOURCE, col.FILE, col.LINE, col.TITLE, col.STUDY_ID,
                           col.IS_DUPLICATE, col.DEDUP_RULE, col.DEDUP_WITH, *col.SCREEN_COLUMNS]
REQUIRED_STUDY_COLUMNS = [col.STUDY_ID, col.KEPT_RECORD_ID, col.TITLE, col.SCREEN_DECISION, col.PRISMA_BOX]
PAIR_FIELDS = ["record_id_a", "record_id_b", "title_score", "outcome", "rule"]
DECISION_FIELDS = [col.STUDY_ID, "key", "stage", "decision", "reason", "reviewer", "date", "note", "file", "line"]
CLASSIFIED_FIELDS = ["design", "effect", "country", "setting", "provider_population", "client_population",
                     "interventions", "sample_size", col.RULE_LEVEL, col.EVIDENCE_LEVEL, col.EVIDENCE_RULE,
                     col.EVIDENCE_INPUTS, "override_reason", "trail", "extraction_sources"]
JSON_CLASSIFIED_FIELDS = ("interventions", col.EVIDENCE_INPUTS, "extraction_sources")
PRISMA_FIGURE = "prisma_flow"


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows, as the stages wrote it (text columns, read back by ``read_table``)."""

    records: pd.DataFrame = file(Kind("table", "the screened records", required=tuple(REQUIRED_RECORD_COLUMNS)))
    studies: pd.DataFrame = file(Kind("table", "the screened studies", required=tuple(REQUIRED_STUDY_COLUMNS)))
    pairs: pd.DataFrame = file(Kind("table", "the deduplication pairs"), default_factory=pd.DataFrame)
    decisions: pd.DataFrame = file(Kind("table", "the screening decisions as screen validated them"),
                                   default_factory=pd.DataFrame)
    resolutions: pd.DataFrame = file(Kind("table", "the resolutions as screen validated them"),
                                     default_factory=pd.DataFrame)
    classified: pd.DataFrame = file(Kind("table", "the classified studies"), default_factory=pd.DataFrame)
    interventions: pd.DataFrame = file(Kind("table", "the interventions"), default_factory=pd.DataFrame)
    audit: pd.DataFrame = file(Kind("table", "the classification audit"), default_factory=pd.DataFrame)
    counts: Mapping[str, Any] = file(Kind("json", "the PRISMA counts"), default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = file(Kind("tables", "the tables (file stems are table ids)"),
                                              default_factory=dict)
    reconciled: pd.DataFrame = file(Kind("table", "the reconciliation"), default_factory=pd.DataFrame)
    arithmetic: pd.DataFrame = file(Kind("table", "the published arithmetic"), default_factory=pd.DataFrame)
    agreement: pd.DataFrame = file(Kind("table", "the agreement between reviewers"), default_factory=pd.DataFrame)
    conflicts: pd.DataFrame = file(Kind("table", "the conflicts"), default_factory=pd.DataFrame)
    stopping: Mapping[str, Any] = file(Kind("json", "the stopping rule's state", optional=True), default_factory=dict)
    figures: Mapping[str, str] = file(Kind("texts", "figure files (the SVGs are inlined; file stems name them)",
                                           suffix=".svg"), default_factory=dict)
    level_agreement: pd.DataFrame = file(Kind("table", "kappa of the raters, and of the rules with each source"),
                                         default_factory=pd.DataFrame)
    levels: pd.DataFrame = file(Kind("table", "the rules' level beside each source's stated level"),
                                default_factory=pd.DataFrame)
    robustness: pd.DataFrame = file(Kind("table", "the findings that move with a contested level"),
                                    default_factory=pd.DataFrame)
    rater_conflicts: pd.DataFrame = file(Kind("table", "the raters' conflicts"), default_factory=pd.DataFrame)


# --- data ------------------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PipelineError(f"{what} lacks column(s) {', '.join(missing)}", where=what,
                            fix="rerun the stage that writes it (snakemake --forcerun <stage>)")


def _text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The named columns as text; a column the frame lacks is empty."""
    return frame.reindex(columns=columns, fill_value="").fillna("").astype(str)


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    return _text(frame, columns).to_numpy().tolist()


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    """A whole table as {columns, rows}, every cell as text."""
    columns = [str(c) for c in frame.columns]
    return {"columns": columns, "rows": _rows(frame.set_axis(columns, axis=1), columns)}


def _author_names(cell: str) -> str:
    """``[["Family","G"],...]`` as ``Family G; ...`` (text that is not JSON is shown as it is)."""
    try:
        names = loads(cell, [])
    except (json.JSONDecodeError, TypeError):
        return cell
    if not isinstance(names, list):
        return cell
    shown = []
    for name in names:
        parts = name if isinstance(name, list) else [name]
        shown.append(" ".join(str(p) for p in parts if p))
    return "; ".join(shown)


def _json_cell(cell: str) -> Any:
    try:
        return loads(cell, None)
    except (json.JSONDecodeError, TypeError):
        return cell


def _decision_rows(decisions: pd.DataFrame, index: dict[str, list[str]], who: str) -> tuple[list, list]:
    """(rows attached to studies, rows whose key matches nothing) in file and line order."""
    if decisions.empty:
        return [], []
    frame = decisions.copy()
    if who != "reviewer" and who in frame.columns:
        frame["reviewer"] = frame[who]
    frame = _text(frame, DECISION_FIELDS[1:])
    frame = frame.assign(_line=pd.to_numeric(frame["line"], errors="coerce").fillna(0))
    frame = frame.sort_values(["file", "_line"], kind="stable")
    attached, unmatched = [], []
    for row in frame[DECISION_FIELDS[1:]].to_numpy().tolist():
        studies = index.get(row[0], [])
        if not studies:
            unmatched.append(["", *row])
        attached.extend([study, *row] for study in studies)
    return attached, unmatched


def _classified(classified: pd.DataFrame) -> dict[str, dict[str, Any]]:
    if classified.empty:
        return {}
    _require(classified, [col.STUDY_ID, col.EVIDENCE_LEVEL], "classified studies")
    frame = _text(classified, [col.STUDY_ID, *CLASSIFIED_FIELDS])
    out = {}
    for row in frame.to_dict("records"):
        study = row.pop(col.STUDY_ID)
        for name in JSON_CLASSIFIED_FIELDS:
            row[name] = _json_cell(row[name])
        out[study] = row
    return out


def _records(records: pd.DataFrame, studies: pd.DataFrame) -> dict[str, Any]:
    """Records as {columns, rows}; an abstract equal to its study's is left out (shown from the study)."""
    frame = _text(records, RECORD_FIELDS)
    study_abstracts = dict(zip(studies[col.STUDY_ID], _text(studies, [col.ABSTRACT])[col.ABSTRACT]))
    same = frame[col.STUDY_ID].map(study_abstracts).fillna("") == frame[col.ABSTRACT]
    frame[col.ABSTRACT] = frame[col.ABSTRACT].where(~same, "")
    frame[col.AUTHORS] = frame[col.AUTHORS].map(_author_names)
    return {"columns": RECORD_FIELDS, "rows": frame.to_numpy().tolist()}


def _other_provenance(cell: str, kept: str) -> dict[str, str]:
    """The study fields taken from a record other than the kept one (the rest come from the kept record)."""
    provenance = _json_cell(cell)
    if not isinstance(provenance, dict):
        return {}
    return {field_name: record for field_name, record in provenance.items() if record != kept}


def _studies(studies: pd.DataFrame, records: pd.DataFrame) -> dict[str, Any]:
    frame = _text(studies, STUDY_FIELDS).sort_values(col.STUDY_ID, kind="stable")
    frame[col.AUTHORS] = frame[col.AUTHORS].map(_author_names)
    frame["provenance"] = [_other_provenance(cell, kept) for cell, kept in zip(frame["provenance"], frame[col.KEPT_RECORD_ID])]
    members: dict[str, list[str]] = {}
    for record_id, study_id in zip(records[col.RECORD_ID], records[col.STUDY_ID]):
        members.setdefault(study_id, []).append(record_id)
    frame["records"] = [members.get(study_id, []) for study_id in frame[col.STUDY_ID]]
    columns = [*STUDY_FIELDS, "records"]
    return {"columns": columns, "rows": frame[columns].to_numpy().tolist()}


def _pairs(pairs: pd.DataFrame) -> list[list[str]]:
    """Candidate pairs worth auditing: merges, maybe pairs and every human decision."""
    if pairs.empty:
        return []
    _require(pairs, PAIR_FIELDS, "deduplication pairs")
    frame = _text(pairs, PAIR_FIELDS)
    keep = (frame["outcome"] != col.PairOutcome.DISTINCT.value) | frame["rule"].str.startswith("human")
    return frame[keep].to_numpy().tolist()


def _meta(settings: Settings) -> dict[str, Any]:
    hierarchy = settings.hierarchy
    return {
        "review": {"id": settings.review_id, "title": settings.title, "citation": settings.citation,
                   "question": settings.question},
        "levels": [{"id": level.id, "label": level.label} for level in hierarchy.levels],
        "designs": {design.id: design.label for design in hierarchy.designs},
        "criteria": [{"id": c.id, "label": c.label, "kind": c.kind, "stage": c.stage} for c in settings.criteria],
        "sources": [{"id": s.id, "name": s.name} for s in settings.sources],
        "boxes": [{"id": box, "label": label} for box, label in BOX_LABELS.items()],
        "tables": [{"id": t.id, "title": t.title, "label": t.label} for t in settings.tables],
    }


def report_data(inputs: ReportInputs, settings: Settings) -> dict[str, Any]:
    """The page's data: everything the report shows, as plain JSON-ready values."""
    _require(inputs.records, REQUIRED_RECORD_COLUMNS, "screened records")
    _require(inputs.studies, REQUIRED_STUDY_COLUMNS, "screened studies")
    records = inputs.records.fillna("").astype(str)
    index = study_index(inputs.studies.fillna(""), records)
    decisions, unmatched = _decision_rows(inputs.decisions, index, "reviewer")
    resolutions, unmatched_resolutions = _decision_rows(inputs.resolutions, index, "resolved_by")
    tables = []
    for spec in settings.tables:
        if spec.id in inputs.tables:
            tables.append({"id": spec.id, "title": spec.title, **_table(inputs.tables[spec.id])})
    return {
        "meta": _meta(settings),
        "studies": _studies(inputs.studies, records),
        "records": _records(records, inputs.studies),
        "pairs": _pairs(inputs.pairs),
        "decisions": decisions,
        "resolutions": resolutions,
        "unmatched": unmatched + unmatched_resolutions,
        "classified": _classified(inputs.classified),
        "audit": _rows(inputs.audit, [col.STUDY_ID, "kind", "detail"]) if not inputs.audit.empty else [],
        "conflicts": _rows(inputs.conflicts, ["key", "stage", "decisions"]) if not inputs.conflicts.empty else [],
        "interventions": _table(inputs.interventions),
        "counts": dict(inputs.counts),
        "tables": tables,
        "reconciled": _table(inputs.reconciled),
        "arithmetic": _table(inputs.arithmetic),
        "agreement": _table(inputs.agreement),
        "level_audit": _level_audit(inputs, settings),
        "methods": methods_text(dict(inputs.stopping)) if inputs.stopping else "",
        "figures": sorted(name for name in inputs.figures if name != PRISMA_FIGURE),
    }


def _level_audit(inputs: ReportInputs, settings: Settings) -> dict[str, Any]:
    """The audit stage's findings: kappa of raters and rules, each disagreement of the rules with a
    stated level, the raters' conflicts, and the robustness verdicts with the findings that move."""
    levels = _text(inputs.levels, audit.LEVEL_COLUMNS)
    moved = _text(inputs.robustness, robustness.MOVE_COLUMNS)
    classified = _text(inputs.classified, [col.STUDY_ID, col.EVIDENCE_LEVEL])
    contested = audit.alternatives(classified, levels)
    return {
        "agreement": _table(inputs.level_agreement),
        "disagreements": levels[levels["agrees"] == "no"].to_numpy().tolist(),
        "conflicts": _table(inputs.rater_conflicts),
        "verdicts": robustness.verdicts(moved, contested, audit.finding_tables(settings)) if contested else [],
        "moves": _table(inputs.robustness),
    }


# --- the page --------------------------------------------------------------------------------


def build_report(inputs: ReportInputs, settings: Settings) -> str:
    """The whole report as one HTML document (same inputs, same bytes)."""
    return report_page(report_data(inputs, settings), inputs.figures,
                       title=f"Audit report: {settings.title or settings.review_id}")


def summary(page: str, inputs: ReportInputs) -> str:
    """One line: size of the page and what it covers."""
    return (f"report: {len(page.encode('utf-8'))} bytes; {len(inputs.studies)} studies, {len(inputs.records)} records, "
            f"{len(inputs.decisions)} screening decisions, {len(inputs.figures)} figures")


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Outputs:
    report: str = file(Kind("text", "the report page"))


def run(inputs: ReportInputs, settings: Settings) -> Outputs:
    """The page, with tables and figures named by their file stems."""
    inputs = replace(inputs, tables={Path(path).stem: table for path, table in inputs.tables.items()},
                     figures={Path(path).stem: svg for path, svg in inputs.figures.items()})
    log.info("report: building the page of %d studies and %d records", len(inputs.studies), len(inputs.records))
    page = build_report(inputs, settings)
    log.info(summary(page, inputs))
    return Outputs(page)


STAGE = Stage("report", "one self-contained HTML audit report", ReportInputs, Outputs, run, from_config())
