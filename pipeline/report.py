"""The ``report`` stage: one self-contained HTML audit report a reviewer opens offline.

``build_report`` turns the tables the other stages wrote into one HTML page: the PRISMA diagram,
the tables and figures, the reconciliation, agreement statistics, audit findings and a searchable,
filterable list of studies and records, each with a card that follows it from the raw exports to
its evidence level. The page needs no network and cannot be turned against its reader by what is
inside the records:

- every piece of record text (titles, abstracts, author names, notes, reasons, labels) travels as
  JSON inside one ``<script type="application/json">`` block, escaped so that no ``</script>`` or
  ``<!--`` can end it, and the page's own script shows it with ``textContent`` only;
- the page's Content-Security-Policy allows no network at all and runs only the page's own script
  (by its SHA-256 hash), so even markup that slipped into a figure could not execute;
- the matplotlib figures are inlined as SVG markup after a check that reads them as XML and finds
  no element but drawing ones (no script, foreign object, HTML), no event handler and no link or
  reference out of the figure (the text drawn is never searched for words); their element ids get
  a per-figure prefix so that figures cannot clash with each other.

The same inputs always give the same bytes (no timestamps, sorted JSON).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping
from xml.parsers import expat

import pandas as pd

from pipeline import columns as col
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.io import loads
from pipeline.screen import study_index
from pipeline.stage import Kind, Stage, file, from_config

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

# The SVG check reads the figure as XML and allows only what matplotlib writes: drawing elements, and the
# metadata block's rdf:/cc:/dc: elements (names that no HTML parser gives a meaning). Text and comments
# are never searched for words: a label "online = yes" or "javascript:" is just text.
_SVG_ELEMENTS = frozenset({"svg", "g", "defs", "path", "use", "clipPath", "rect", "circle", "ellipse", "line",
                           "polyline", "polygon", "text", "tspan", "style", "metadata", "title", "desc",
                           "linearGradient", "radialGradient", "stop", "pattern", "mask", "symbol", "marker"})
_SVG_METADATA_PREFIXES = ("rdf:", "cc:", "dc:")
_SVG_LINK_ATTRIBUTES = frozenset({"href", "src"})
_SVG_OUTSIDE_URL = re.compile(r"url\(\s*(?![\"']?\s*#)|@import", re.IGNORECASE)
_SVG_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_REFERENCE = re.compile(r'(href="#|url\(#)([^")]+)')
_FIGURE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


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
    figures: Mapping[str, str] = file(Kind("texts", "figure files (the SVGs are inlined; file stems name them)",
                                           suffix=".svg"), default_factory=dict)


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
        "figures": sorted(name for name in inputs.figures if name != PRISMA_FIGURE),
    }


# --- safe embedding --------------------------------------------------------------------------

_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(value: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or
    line separators appear literally, so no text inside it can close or comment out the block."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for character, escaped in _SCRIPT_ESCAPES:
        text = text.replace(character, escaped)
    return text


def svg_refusal(svg: str) -> tuple[int, str] | None:
    """``(line, what)`` for the first thing in ``svg`` that could run code or fetch something once the
    markup sits in the page, or None when there is none.

    Refused: elements other than drawing and metadata ones (so ``script``, ``foreignObject``, ``iframe``,
    animation, and any HTML element), event-handler attributes (``on...``), ``href``/``src`` that do not
    point inside the figure (``javascript:``, ``http:``, ``data:``), ``url(...)`` or ``@import`` reaching
    outside it, and the XML that an HTML parser reads differently from an XML parser: processing
    instructions, CDATA sections, entity declarations and comments holding ``<`` or ``>``. A figure that
    is not well-formed XML is refused too."""
    parser = expat.ParserCreate()
    parser.buffer_text = True  # a style sheet's text arrives in one piece
    open_styles = [0]

    def refuse(what: str) -> None:
        raise _Refused(parser.CurrentLineNumber, what)  # stops the parse: nothing after it is expanded

    def start(name: str, attributes: dict[str, str]) -> None:
        if name not in _SVG_ELEMENTS and not name.startswith(_SVG_METADATA_PREFIXES):
            refuse(f"element <{name}>")
        open_styles[0] += name == "style"
        for attribute, value in attributes.items():
            local = attribute.rpartition(":")[2].lower()
            if local.startswith("on"):
                refuse(f"event-handler attribute {attribute}={value!r}")
            elif local in _SVG_LINK_ATTRIBUTES and not value.strip().startswith("#"):
                refuse(f"link {attribute}={value!r} out of the figure")
            elif _SVG_OUTSIDE_URL.search(value):
                refuse(f"reference {attribute}={value!r} out of the figure")

    def end(name: str) -> None:
        open_styles[0] -= name == "style"

    def characters(data: str) -> None:
        if open_styles[0] and _SVG_OUTSIDE_URL.search(data):
            refuse(f"style sheet reference {data.strip()!r} out of the figure")

    def comment(data: str) -> None:
        if "<" in data or ">" in data:
            refuse("a comment holding '<' or '>'")

    def doctype(name: str, system_id: str | None, public_id: str | None, internal_subset: bool) -> None:
        if internal_subset:
            refuse("a document type with declarations of its own")

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler, parser.CommentHandler = characters, comment
    parser.StartDoctypeDeclHandler = doctype
    parser.ProcessingInstructionHandler = lambda target, data: refuse(f"processing instruction <?{target}")
    parser.StartCdataSectionHandler = lambda: refuse("a CDATA section")
    parser.EntityDeclHandler = lambda name, *rest: refuse(f"entity declaration {name!r}")
    parser.SkippedEntityHandler = lambda name, is_parameter: refuse(f"entity reference &{name};")
    try:
        parser.Parse(svg, True)
    except _Refused as refused:
        return refused.args
    except expat.ExpatError as error:
        return error.lineno, f"markup that is not well-formed XML: {expat.ErrorString(error.code)}"
    return None


class _Refused(Exception):
    """Raised from inside the XML parser's handlers by :func:`svg_refusal`: (line, what)."""


def inline_svg(svg: str, name: str) -> str:
    """A matplotlib SVG ready to sit inside the page: prolog and metadata removed, ids prefixed.

    Raises :class:`PipelineError` when the SVG holds anything active (script, event handler,
    foreign object, link out of the document)."""
    if not _FIGURE_NAME.match(name):
        raise PipelineError(f"figure name '{name}' has characters other than letters, digits, '_', '.', '-'",
                            where=f"figures/{name}.svg", fix="rename the figure file")
    if not _SVG_PROLOG.sub("", svg, count=1).lstrip().startswith("<svg"):
        raise PipelineError("figure is not an SVG document", where=f"figures/{name}.svg",
                            fix="regenerate the figures with the figures and prisma stages")
    refusal = svg_refusal(svg)
    if refusal:
        line, what = refusal
        raise PipelineError(f"figure holds active or external content ({what}), which the report refuses to "
                            "inline", where=f"figures/{name}.svg:{line}",
                            fix="regenerate the figures with the figures and prisma stages")
    body = _SVG_METADATA.sub("", _SVG_PROLOG.sub("", svg, count=1))
    prefix = f"fig-{name.replace('.', '-')}-"
    body = _SVG_ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', body)
    body = _SVG_REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", body)
    return body.strip()


def _figure_block(name: str, svg: str) -> str:
    return (f'<figure class="figure" id="figure-{html.escape(name)}" data-figure="{html.escape(name)}">'
            f"{inline_svg(svg, name)}</figure>")


# --- the page --------------------------------------------------------------------------------


def build_report(inputs: ReportInputs, settings: Settings) -> str:
    """The whole report as one HTML document (same inputs, same bytes)."""
    data = report_data(inputs, settings)
    figures = "\n".join(_figure_block(name, inputs.figures[name]) for name in sorted(inputs.figures))
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    policy = (f"default-src 'none'; script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; "
              "img-src data:; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'")
    title = html.escape(f"Audit report: {settings.title or settings.review_id}")
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">\n',
        '<meta name="referrer" content="no-referrer">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n",
        _BODY,
        f'<div id="figure-store" hidden>\n{figures}\n</div>\n',
        f'<script type="application/json" id="report-data">{script_json(data)}</script>\n',
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n",
    ])


def summary(page: str, inputs: ReportInputs) -> str:
    """One line: size of the page and what it covers."""
    return (f"report: {len(page.encode('utf-8'))} bytes; {len(inputs.studies)} studies, {len(inputs.records)} records, "
            f"{len(inputs.decisions)} screening decisions, {len(inputs.figures)} figures")


_STYLE = """
:root{--ink:#1d2733;--muted:#5b6775;--line:#d5dbe3;--bg:#f6f8fa;--accent:#1f5fa8;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{padding:12px 20px;background:#14324f;color:#fff}
header h1{margin:0;font-size:19px}
header p{margin:2px 0 0;color:#c9d6e3}
nav{display:flex;flex-wrap:wrap;gap:4px;padding:8px 20px;background:#fff;border-bottom:1px solid var(--line)}
nav button{border:1px solid var(--line);background:#fff;border-radius:4px;padding:5px 11px;cursor:pointer;font:inherit}
nav button[aria-selected=true]{background:var(--accent);border-color:var(--accent);color:#fff}
main{padding:14px 20px}
section.tab[hidden]{display:none}
.explorer{display:grid;grid-template-columns:minmax(300px,40%) minmax(0,1fr);gap:16px;align-items:start}
.explorer>*{min-width:0}
.panel{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px}
.filters{display:grid;grid-template-columns:1fr 1fr;gap:6px;margin-bottom:8px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);min-width:0}
.filters select,.filters input{font:inherit;padding:4px 6px;border:1px solid var(--line);border-radius:4px;width:100%;min-width:0}
.search{grid-column:1/-1}
.search input{font-size:15px;padding:7px 9px}
.count{color:var(--muted);font-size:12px;margin:4px 0}
ol.results{list-style:none;margin:0;padding:0}
ol.results li{border-top:1px solid var(--line)}
button.result{display:block;width:100%;text-align:left;background:none;border:0;padding:7px 4px;cursor:pointer;font:inherit;color:inherit}
button.result:hover,button.result.active{background:#eaf1fa}
.result .t{display:block;font-weight:600}
.result .m{display:block;color:var(--muted);font-size:12px}
.pager{display:flex;gap:6px;align-items:center;margin-top:8px}
.pager button,button.link{font:inherit;cursor:pointer}
button.link{background:none;border:0;padding:0;color:var(--accent);text-decoration:underline}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;margin-right:4px;background:#e6ebf1}
.badge.level-0{background:#1b7f3b;color:#fff}.badge.level-1{background:#6aa84f;color:#fff}
.badge.level-2{background:#f1c232}.badge.level-3{background:#cc4125;color:#fff}
.badge.excluded,.badge.duplicate{background:#f4cccc}.badge.included{background:#d9ead3}
.badge.pending,.badge.conflict{background:#fff2cc}
#card h2{margin:0 0 4px;font-size:18px}
#card h3{margin:16px 0 6px;font-size:15px;border-bottom:1px solid var(--line);padding-bottom:3px}
#card .sub{color:var(--muted);margin:2px 0}
table{border-collapse:collapse;width:100%;margin:4px 0 10px;background:#fff}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top;font-size:13px;overflow-wrap:anywhere}
th{background:#eef2f6;white-space:nowrap;overflow-wrap:normal}
td.num{text-align:right;font-variant-numeric:tabular-nums}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
.abstract{white-space:pre-wrap;overflow-wrap:anywhere}
.empty{color:var(--muted);font-style:italic}
figure.figure{margin:8px 0;background:#fff;border:1px solid var(--line);padding:6px;overflow:auto}
figure.figure svg{max-width:100%;height:auto}
.note{color:var(--muted)}
"""

_BODY = """<header><h1 id="review-title">Audit report</h1><p id="review-sub"></p></header>
<nav id="tabs" role="tablist">
<button type="button" role="tab" data-tab="explore" aria-selected="true">Studies &amp; records</button>
<button type="button" role="tab" data-tab="prisma" aria-selected="false">PRISMA</button>
<button type="button" role="tab" data-tab="tables" aria-selected="false">Tables &amp; figures</button>
<button type="button" role="tab" data-tab="reconcile" aria-selected="false">Reconciliation</button>
<button type="button" role="tab" data-tab="agreement" aria-selected="false">Agreement &amp; conflicts</button>
<button type="button" role="tab" data-tab="audit" aria-selected="false">Audit &amp; interventions</button>
</nav>
<main>
<noscript><p>This report shows its data with JavaScript; enable it for this file.</p></noscript>
<section class="tab" id="tab-explore">
<div class="explorer">
<div class="panel" id="finder">
<div class="filters">
<label class="search">Search titles, authors, ids, keys, DOIs<input id="search" type="search" autocomplete="off" placeholder="e.g. Berger 2011"></label>
<label>Show<select id="f-view"><option value="studies">Studies</option><option value="records">Records</option></select></label>
<label>Evidence level<select id="f-level"></select></label>
<label>PRISMA box<select id="f-box"></select></label>
<label>Source<select id="f-source"></select></label>
<label>Decision<select id="f-decision"></select></label>
</div>
<p class="count" id="count"></p>
<ol class="results" id="results"></ol>
<div class="pager"><button type="button" id="prev">Previous</button><span id="page"></span><button type="button" id="next">Next</button></div>
</div>
<div class="panel" id="card"><p class="empty">Search, then choose a study or record to see its whole history.</p></div>
</div>
</section>
<section class="tab" id="tab-prisma" hidden><h2>PRISMA 2020 flow</h2><div id="prisma-figure"></div><div id="prisma-counts"></div></section>
<section class="tab" id="tab-tables" hidden><h2>Tables and figures</h2><div id="tables"></div><div id="other-figures"></div></section>
<section class="tab" id="tab-reconcile" hidden><h2>Published against reproduced</h2><div id="reconcile"></div></section>
<section class="tab" id="tab-agreement" hidden><h2>Agreement between reviewers</h2><div id="agreement"></div></section>
<section class="tab" id="tab-audit" hidden><h2>Audit findings</h2><div id="audit"></div></section>
</main>
"""

_SCRIPT = r"""
(function () {
"use strict";
var DATA = JSON.parse(document.getElementById("report-data").textContent);
var PAGE_SIZE = 50;
var META = DATA.meta;

function el(tag, className, children) {
  var node = document.createElement(tag);
  if (className) { node.className = className; }
  (children || []).forEach(function (child) {
    if (child === null || child === undefined) { return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  });
  return node;
}
function text(tag, className, value) { var node = el(tag, className); node.textContent = value === undefined || value === null ? "" : String(value); return node; }
function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }
function objects(table) {
  return table.rows.map(function (row) {
    var out = {};
    table.columns.forEach(function (name, i) { out[name] = row[i]; });
    return out;
  });
}
function byKey(list, key) { var out = {}; list.forEach(function (item) { out[item[key]] = item; }); return out; }
function groupBy(list, index) {
  var out = {};
  list.forEach(function (row) { var k = row[index]; (out[k] = out[k] || []).push(row); });
  return out;
}

var studies = objects(DATA.studies);
var records = objects(DATA.records);
var studyById = byKey(studies, "study_id");
var recordById = byKey(records, "record_id");
var levelIndex = {}; META.levels.forEach(function (l, i) { levelIndex[l.id] = i; });
var levelLabel = {}; META.levels.forEach(function (l) { levelLabel[l.id] = l.label; });
var boxLabel = {}; META.boxes.forEach(function (b) { boxLabel[b.id] = b.label; });
var criterion = byKey(META.criteria, "id");
var sourceName = {}; META.sources.forEach(function (s) { sourceName[s.id] = s.name; });
var decisionsByStudy = groupBy(DATA.decisions, 0);
var resolutionsByStudy = groupBy(DATA.resolutions, 0);
var conflictsByStudy = groupBy(DATA.conflicts, 0);
var auditByStudy = groupBy(DATA.audit, 0);
var pairsByRecord = {};
DATA.pairs.forEach(function (pair) {
  [pair[0], pair[1]].forEach(function (id) { (pairsByRecord[id] = pairsByRecord[id] || []).push(pair); });
});
studies.forEach(function (s) {
  var c = DATA.classified[s.study_id];
  s.level = c ? c.evidence_level : "";
  s.sources = [];
  s.records.forEach(function (id) { var r = recordById[id]; if (r && s.sources.indexOf(r.source) < 0) { s.sources.push(r.source); } });
});

function reasonText(reason) {
  if (!reason) { return ""; }
  var c = criterion[reason];
  return c ? reason + " (" + c.label + ")" : reason;
}
function levelText(level) { return level ? (levelLabel[level] || level) : "not classified"; }
function badge(value, className) { return text("span", "badge " + (className || value), value); }
function levelBadge(level) {
  return level ? text("span", "badge level-" + (levelIndex[level] === undefined ? "x" : levelIndex[level]), levelText(level)) : null;
}
function kv(pairs) {
  var list = el("dl", "kv");
  pairs.forEach(function (pair) {
    if (pair[1] === "" || pair[1] === null || pair[1] === undefined) { return; }
    list.appendChild(text("dt", "", pair[0]));
    var dd = el("dd");
    if (typeof pair[1] === "object") { dd.appendChild(pair[1]); } else { dd.textContent = String(pair[1]); }
    list.appendChild(dd);
  });
  return list;
}
function linkButton(label, onClick) {
  var b = text("button", "link", label); b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}
function studyLink(id) { return linkButton(id, function () { showTab("explore"); openCard("study", id); }); }
function recordLink(id) { return linkButton(id, function () { showTab("explore"); openCard("record", id); }); }
function grid(columns, rows, cellFor) {
  if (!rows.length) { return text("p", "empty", "none"); }
  var table = el("table");
  var head = el("tr"); columns.forEach(function (c) { head.appendChild(text("th", "", c)); });
  table.appendChild(el("thead", "", [head]));
  var body = el("tbody");
  rows.forEach(function (row) {
    var tr = el("tr");
    row.forEach(function (value, i) {
      var custom = cellFor ? cellFor(i, value, row) : null;
      var td;
      if (custom) { td = el("td", "", [custom]); }
      else { td = text("td", /^-?\d+(\.\d+)?$/.test(String(value)) ? "num" : "", value); }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  table.appendChild(body);
  return table;
}

// --- the list ---------------------------------------------------------------------------
var search = document.getElementById("search");
var filters = {
  view: document.getElementById("f-view"), level: document.getElementById("f-level"),
  box: document.getElementById("f-box"), source: document.getElementById("f-source"),
  decision: document.getElementById("f-decision")
};
function fill(select, options) {
  options.forEach(function (o) { var opt = text("option", "", o[1]); opt.value = o[0]; select.appendChild(opt); });
}
fill(filters.level, [["", "any"]].concat(META.levels.map(function (l) { return [l.id, l.label]; }), [["-", "not classified"]]));
fill(filters.box, [["", "any"]].concat(META.boxes.map(function (b) { return [b.id, b.label]; })));
fill(filters.source, [["", "any"]].concat(META.sources.map(function (s) { return [s.id, s.name]; })));
fill(filters.decision, [["", "any"], ["included", "included"], ["excluded", "excluded"], ["pending", "pending"],
  ["conflict", "conflict"], ["duplicate", "duplicate (records)"]]);

function haystack(item) {
  if (item._hay === undefined) {
    var parts = [item.title, item.authors, item.year, item.journal, item.doi];
    if (item.record_id !== undefined) { parts.push(item.record_id, item.record_key, item.study_id, item.source, item.pmid); }
    else {
      parts.push(item.study_id);
      item.records.forEach(function (id) { var r = recordById[id]; if (r) { parts.push(id, r.record_key); } });
    }
    item._hay = parts.join(" \u0001 ").toLowerCase();
  }
  return item._hay;
}
var state = { items: [], page: 0, active: null };
function matches(item, words, isRecord) {
  var f = { level: filters.level.value, box: filters.box.value, source: filters.source.value, decision: filters.decision.value };
  var study = isRecord ? studyById[item.study_id] : item;
  var level = study ? study.level : "";
  if (f.level && (f.level === "-" ? level !== "" : level !== f.level)) { return false; }
  if (f.box && item.prisma_box !== f.box) { return false; }
  if (f.source && (isRecord ? item.source !== f.source : item.sources.indexOf(f.source) < 0)) { return false; }
  if (f.decision && item.screen_decision !== f.decision) { return false; }
  var hay = haystack(item);
  for (var i = 0; i < words.length; i++) { if (hay.indexOf(words[i]) < 0) { return false; } }
  return true;
}
function update() {
  var isRecord = filters.view.value === "records";
  var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  var pool = isRecord ? records : studies;
  state.items = pool.filter(function (item) { return matches(item, words, isRecord); });
  state.page = 0;
  renderList();
}
function renderList() {
  var isRecord = filters.view.value === "records";
  var list = clear(document.getElementById("results"));
  var pages = Math.max(1, Math.ceil(state.items.length / PAGE_SIZE));
  var start = state.page * PAGE_SIZE;
  state.items.slice(start, start + PAGE_SIZE).forEach(function (item) {
    var id = isRecord ? item.record_id : item.study_id;
    var meta = isRecord
      ? [item.record_id, sourceName[item.source] || item.source, item.year, boxLabel[item.prisma_box] || item.prisma_box]
      : [item.study_id, item.year, item.screen_decision, levelText(item.level)];
    var b = el("button", "result", [text("span", "t", item.title || "(no title)"),
      text("span", "m", (item.authors ? item.authors.split("; ").slice(0, 3).join("; ") + " \u00b7 " : "") + meta.filter(Boolean).join(" \u00b7 "))]);
    b.type = "button";
    b.setAttribute("data-kind", isRecord ? "record" : "study");
    b.setAttribute("data-id", id);
    if (state.active === id) { b.className += " active"; }
    b.addEventListener("click", function () { openCard(isRecord ? "record" : "study", id); });
    list.appendChild(el("li", "", [b]));
  });
  document.getElementById("count").textContent = state.items.length + " of " + (isRecord ? records.length + " records" : studies.length + " studies");
  document.getElementById("page").textContent = "page " + (state.page + 1) + " of " + pages;
  document.getElementById("prev").disabled = state.page === 0;
  document.getElementById("next").disabled = state.page + 1 >= pages;
}
search.addEventListener("input", update);
Object.keys(filters).forEach(function (k) { filters[k].addEventListener("change", update); });
document.getElementById("prev").addEventListener("click", function () { state.page -= 1; renderList(); });
document.getElementById("next").addEventListener("click", function () { state.page += 1; renderList(); });

// --- cards ------------------------------------------------------------------------------
function decisionTable(rows, who) {
  return grid(["stage", who, "decision", "reason", "date", "note", "key", "file:line"], rows.map(function (r) {
    return [r[2], r[5], r[3], reasonText(r[4]), r[6], r[7], r[1], r[8] + (r[9] ? ":" + r[9] : "")];
  }));
}
function studyCard(s) {
  var card = clear(document.getElementById("card"));
  var c = DATA.classified[s.study_id];
  card.appendChild(text("h2", "", s.title || "(no title)"));
  card.appendChild(text("p", "sub", s.authors));
  card.appendChild(text("p", "sub", [s.journal, s.year, s.doi ? "doi:" + s.doi : ""].filter(Boolean).join(" \u00b7 ")));
  card.appendChild(el("p", "", [text("span", "badge", "study " + s.study_id), badge(s.screen_decision),
    text("span", "badge", boxLabel[s.prisma_box] || s.prisma_box), levelBadge(s.level)]));

  card.appendChild(text("h3", "", "Evidence level"));
  if (c) {
    var inputs = c.evidence_inputs && typeof c.evidence_inputs === "object"
      ? Object.keys(c.evidence_inputs).sort().map(function (k) { return k + " = " + c.evidence_inputs[k]; }).join("; ") : String(c.evidence_inputs || "");
    card.appendChild(kv([["level", levelText(c.evidence_level)], ["rule", c.evidence_rule],
      ["rules alone give", c.rule_level ? levelText(c.rule_level) : "no level"], ["inputs", inputs],
      ["override", c.evidence_rule === "override" || c.override_reason ? (c.override_reason || "(no reason given)") : ""],
      ["trail", c.trail], ["design", META.designs[c.design] ? c.design + " (" + META.designs[c.design] + ")" : c.design],
      ["effect", c.effect], ["interventions", Array.isArray(c.interventions) ? c.interventions.join("; ") : c.interventions]]));
  } else {
    card.appendChild(text("p", "note", "Not classified: the study's screening decision is '" + s.screen_decision + "'" +
      (s.screen_reason ? " (" + reasonText(s.screen_reason) + ")" : "") + "."));
  }
  var findings = auditByStudy[s.study_id] || [];
  if (findings.length) { card.appendChild(grid(["audit finding", "detail"], findings.map(function (f) { return [f[1], f[2]]; }))); }

  card.appendChild(text("h3", "", "Screening"));
  card.appendChild(kv([["outcome", s.screen_decision + " at " + s.screen_stage], ["reason", reasonText(s.screen_reason)],
    ["decided by", s.screen_by], ["PRISMA box", boxLabel[s.prisma_box] || s.prisma_box],
    ["title/abstract", s.ta_decision], ["full text", s.ft_decision]]));
  if (s.screen_by === "automation") { card.appendChild(text("p", "note", "Excluded by the automation criterion " + reasonText(s.screen_reason) + ".")); }
  card.appendChild(text("p", "note", "Decisions by reviewers:"));
  card.appendChild(decisionTable(decisionsByStudy[s.study_id] || [], "reviewer"));
  var resolved = resolutionsByStudy[s.study_id] || [];
  if (resolved.length) { card.appendChild(text("p", "note", "Resolutions:")); card.appendChild(decisionTable(resolved, "resolved by")); }
  var conflicts = conflictsByStudy[s.study_id] || [];
  if (conflicts.length) { card.appendChild(grid(["open conflict at", "decisions"], conflicts.map(function (x) { return [x[1], x[2]]; }))); }

  card.appendChild(text("h3", "", "Extracted values"));
  var sources = c && c.extraction_sources && typeof c.extraction_sources === "object" ? c.extraction_sources : {};
  var extracted = [];
  Object.keys(sources).sort().forEach(function (name) {
    (sources[name] || []).forEach(function (v) { extracted.push([name, v.value, v.source, v.quote, v.extractor]); });
  });
  card.appendChild(grid(["field", "value", "source", "quote", "extractor"], extracted));

  card.appendChild(text("h3", "", "Raw records and deduplication"));
  card.appendChild(text("p", "note", s.records.length + " record(s) in this cluster; kept record " + s.kept_record_id + "."));
  card.appendChild(grid(["record", "source", "file:line", "record_key", "role", "merge rule", "merged with"],
    s.records.map(function (id) {
      var r = recordById[id] || {};
      return [id, sourceName[r.source] || r.source, r.file + ":" + r.line, r.record_key,
        r.is_duplicate === "true" ? "duplicate" : "kept", r.dedup_rule, r.dedup_with];
    }), function (i, value) { return (i === 0 || i === 6) && recordById[value] ? recordLink(value) : null; }));
  var seen = {}, pairs = [];
  s.records.forEach(function (id) {
    (pairsByRecord[id] || []).forEach(function (p) { var k = p[0] + "|" + p[1]; if (!seen[k]) { seen[k] = true; pairs.push(p); } });
  });
  card.appendChild(text("p", "note", "Candidate pairs (merges, maybe pairs, human decisions):"));
  card.appendChild(grid(["record a", "record b", "title score", "outcome", "rule"], pairs,
    function (i, value) { return i < 2 && recordById[value] ? recordLink(value) : null; }));
  var provenance = s.provenance && typeof s.provenance === "object" ? s.provenance : {};
  var fields = Object.keys(provenance).sort();
  card.appendChild(text("p", "note", fields.length ? "The study's fields come from the kept record " + s.kept_record_id +
    ", except:" : "Every field of the study comes from the kept record " + s.kept_record_id + "."));
  if (fields.length) {
    card.appendChild(grid(["study field", "taken from record"], fields.map(function (k) { return [k, provenance[k]]; }),
      function (i, value) { return i === 1 && recordById[value] ? recordLink(value) : null; }));
  }
  if (s.abstract) {
    card.appendChild(text("h3", "", "Abstract"));
    card.appendChild(text("p", "abstract", s.abstract));
  }
}
function recordCard(r) {
  var card = clear(document.getElementById("card"));
  var s = studyById[r.study_id];
  card.appendChild(text("h2", "", r.title || "(no title)"));
  card.appendChild(text("p", "sub", r.authors));
  card.appendChild(el("p", "", [text("span", "badge", "record " + r.record_id), badge(r.screen_decision),
    text("span", "badge", boxLabel[r.prisma_box] || r.prisma_box), s ? levelBadge(s.level) : null]));
  card.appendChild(text("h3", "", "Where it came from"));
  card.appendChild(kv([["source", (sourceName[r.source] || r.source) + " (" + r.source + ")"], ["file", r.file], ["line", r.line],
    ["format", [r.format, r.dialect].filter(Boolean).join(", ")], ["database", r.database], ["record_key", r.record_key],
    ["entry type", r.entry_type], ["journal", r.journal], ["year", r.year],
    ["volume / issue / pages", [r.volume, r.issue, r.pages].filter(Boolean).join(" / ")], ["DOI", r.doi], ["PMID", r.pmid],
    ["accession", r.accession], ["language", r.language], ["problems", r.problems]]));
  card.appendChild(text("h3", "", "Deduplication"));
  card.appendChild(kv([["study", recordStudy(r)], ["role", r.is_duplicate === "true" ? "duplicate of the study's kept record" : "kept record of its study"],
    ["merge rule", r.dedup_rule], ["merged with", r.dedup_with && recordById[r.dedup_with] ? recordLink(r.dedup_with) : r.dedup_with]]));
  card.appendChild(text("h3", "", "Screening"));
  card.appendChild(kv([["decision", r.screen_decision + " at " + r.screen_stage],
    ["reason", r.screen_stage === "deduplication" ? "duplicate (rule " + r.dedup_rule + ")" : reasonText(r.screen_reason)],
    ["decided by", r.screen_by], ["PRISMA box", boxLabel[r.prisma_box] || r.prisma_box]]));
  var abstract = r.abstract || (s ? s.abstract : "");
  if (abstract) {
    card.appendChild(text("h3", "", r.abstract ? "Abstract" : "Abstract (as the study's)"));
    card.appendChild(text("p", "abstract", abstract));
  }
}
function recordStudy(r) { return studyById[r.study_id] ? studyLink(r.study_id) : r.study_id; }
function openCard(kind, id) {
  var item = kind === "record" ? recordById[id] : studyById[id];
  if (!item) { clear(document.getElementById("card")).appendChild(text("p", "empty", "No " + kind + " " + id + " in this report.")); return; }
  state.active = id;
  if (kind === "record") { recordCard(item); } else { studyCard(item); }
  document.getElementById("card").setAttribute("data-open", kind + ":" + id);
  Array.prototype.forEach.call(document.querySelectorAll("button.result"), function (b) {
    b.classList.toggle("active", b.getAttribute("data-id") === id);
  });
}

// --- the other tabs ---------------------------------------------------------------------
function showTab(name) {
  Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
    b.setAttribute("aria-selected", b.getAttribute("data-tab") === name ? "true" : "false");
  });
  Array.prototype.forEach.call(document.querySelectorAll("section.tab"), function (s) { s.hidden = s.id !== "tab-" + name; });
}
Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
  b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
});
function moveFigure(name, target) {
  var figure = document.getElementById("figure-" + name);
  if (figure) { target.appendChild(figure); }
}
function tableOf(t, cellFor) { return grid(t.columns, t.rows, cellFor); }
function studyCells(columnIndex) { return function (i, value) { return i === columnIndex && studyById[value] ? studyLink(value) : null; }; }
function flatten(value, prefix, out) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    Object.keys(value).sort().forEach(function (k) { flatten(value[k], prefix ? prefix + "." + k : k, out); });
  } else { out.push([prefix, Array.isArray(value) ? JSON.stringify(value) : value]); }
  return out;
}
function renderPrisma() {
  moveFigure("prisma_flow", document.getElementById("prisma-figure"));
  var box = document.getElementById("prisma-counts");
  var counts = DATA.counts.boxes || {};
  box.appendChild(text("h3", "", "Records in each box"));
  box.appendChild(grid(["box", "records"], META.boxes.map(function (b) { return [b.label, counts[b.id] === undefined ? "" : counts[b.id]]; })));
  var details = el("details", "", [text("summary", "", "Every PRISMA number (counts.json)")]);
  details.appendChild(grid(["quantity", "value"], flatten(DATA.counts, "", [])));
  box.appendChild(details);
}
function renderTables() {
  var holder = document.getElementById("tables");
  holder.appendChild(text("h3", "", "Evidence pyramid"));
  moveFigure("evidence_pyramid", holder);
  DATA.tables.forEach(function (t) {
    holder.appendChild(text("h3", "", t.title + " (" + t.id + ")"));
    holder.appendChild(tableOf(t));
    moveFigure(t.id, holder);
  });
  var rest = document.getElementById("other-figures");
  Array.prototype.forEach.call(document.querySelectorAll("#figure-store figure"), function (f) { rest.appendChild(f); });
}
function renderReconcile() {
  var holder = document.getElementById("reconcile");
  var rec = DATA.reconciled;
  var statusIndex = rec.columns.indexOf("status");
  var statuses = {};
  rec.rows.forEach(function (r) { statuses[r[statusIndex]] = (statuses[r[statusIndex]] || 0) + 1; });
  holder.appendChild(text("p", "", rec.rows.length + " values compared: " + Object.keys(statuses).sort().map(function (k) { return k + " " + statuses[k]; }).join(", ")));
  var pick = el("select"); fill(pick, [["", "every status"]].concat(Object.keys(statuses).sort().map(function (k) { return [k, k]; })));
  var filterLabel = el("label", "", ["Show ", pick]);
  var slot = el("div");
  function draw() {
    clear(slot).appendChild(grid(rec.columns, rec.rows.filter(function (r) { return !pick.value || r[statusIndex] === pick.value; })));
  }
  pick.addEventListener("change", draw);
  holder.appendChild(filterLabel); holder.appendChild(slot); draw();
  holder.appendChild(text("h3", "", "The published tables' own arithmetic"));
  holder.appendChild(tableOf(DATA.arithmetic));
}
function renderAgreement() {
  var holder = document.getElementById("agreement");
  if (!DATA.agreement.rows.length) { holder.appendChild(text("p", "empty", "No two reviewers screened the same studies, so there is no agreement to measure.")); }
  else { holder.appendChild(tableOf(DATA.agreement)); }
  holder.appendChild(text("h3", "", "Open conflicts"));
  holder.appendChild(grid(["study", "stage", "decisions"], DATA.conflicts, studyCells(0)));
  holder.appendChild(text("h3", "", "Decisions that match no record or study"));
  holder.appendChild(grid(["", "key", "stage", "decision", "reason", "reviewer", "date", "note", "file", "line"], DATA.unmatched));
}
function renderAudit() {
  var holder = document.getElementById("audit");
  holder.appendChild(grid(["study", "finding", "detail"], DATA.audit, studyCells(0)));
  holder.appendChild(text("h3", "", "Interventions at their highest level of evidence"));
  holder.appendChild(tableOf(DATA.interventions));
}

// --- start --------------------------------------------------------------------------------
var review = META.review;
document.getElementById("review-title").textContent = "Audit report: " + (review.title || review.id);
document.getElementById("review-sub").textContent = studies.length + " studies from " + records.length + " records" +
  (review.citation ? " \u00b7 " + review.citation : "");
renderPrisma(); renderTables(); renderReconcile(); renderAgreement(); renderAudit();
update();

function applyFragment() {
  var params = {};
  location.hash.replace(/^#/, "").split("&").forEach(function (part) {
    if (!part) { return; }
    var at = part.indexOf("=");
    var key = decodeURIComponent(at < 0 ? part : part.slice(0, at));
    params[key] = at < 0 ? "" : decodeURIComponent(part.slice(at + 1).replace(/\+/g, " "));
  });
  if (params.tab) { showTab(params.tab); }
  var changed = false;
  ["view", "level", "box", "source", "decision"].forEach(function (k) {
    if (params[k] !== undefined && filters[k].value !== params[k]) { filters[k].value = params[k]; changed = true; }
  });
  if (changed) { filters.view.dispatchEvent(new Event("change")); }
  if (params.search !== undefined) {
    search.value = params.search;
    search.dispatchEvent(new Event("input"));
  }
  if (params.open) {
    var hit = Array.prototype.filter.call(document.querySelectorAll("button.result"), function (b) { return b.getAttribute("data-id") === params.open; })[0];
    if (hit) { hit.click(); }
    else { openCard(filters.view.value === "records" ? "record" : "study", params.open); }
  }
}
window.addEventListener("hashchange", applyFragment);
applyFragment();
})();
"""


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
