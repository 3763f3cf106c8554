"""PRISMA 2020 flow: counts from each record's box, checks that the boxes add up, template table, diagram.

Every record sits in exactly one :class:`~pipeline.columns.PrismaBox`; :func:`count` tallies them with one
group-by over (source, box, reason) and derives every number of the PRISMA 2020 flow from that tally.

Databases and other methods. Records from a source with ``other_method`` set (website, organisation,
citation) are deduplicated and screened together with database records, so the boxes before retrieval
(duplicates, automation, other removals, records screened, records excluded) count records from both; the
split into a databases column (``dbr_*``) and an other-methods column (``other_*``) starts at "reports
sought for retrieval", where the PRISMA 2020 template has one box per column. ``boxes_other_methods``
keeps the other-methods share of every box so the diagram can say how many of the shared boxes came from
other methods. A record awaiting a full-text decision counts as assessed (and pending). A source missing
from the settings (a standalone run) counts as a database named by its id.

Template layout. :func:`template` follows the data template of the PRISMA2020 R package (Haddaway, Page,
Pritchard & McGuinness 2022, Campbell Systematic Reviews 18:e1230, https://doi.org/10.1002/cl2.1230):
the file ``inst/extdata/PRISMA.csv`` shipped in https://github.com/prisma-flowdiagram/PRISMA2020 and read
by its ``PRISMA_data()``. That function finds each row by the ``data`` column and reads the ``n`` column,
so the columns (data, node, box, description, boxtext, tooltips, url, n), the ``data`` names, the node
and box identifiers and the row order match the template. Lists (``database_specific_results``,
``dbr_excluded``, ``other_excluded``) are written as ``Name, n; Name, n``; the package splits them on ``;``
and cuts each name at its first comma, so commas and semicolons inside names become `` / ``; an empty list
is a bare ``0``. Registers are not modelled, so their rows hold 0. Box texts use the box labels of the
PRISMA 2020 statement (Page et al. 2021, BMJ 372:n71); descriptions are this module's own; tooltips and
urls (used only by the package's interactive HTML output) are left empty.

Updated reviews. Records in the ``previous_review`` box come from exports of an earlier search round (see
:mod:`pipeline.screen`); they stand outside the flow of new studies. The one record per earlier study
whose ``screen_decision`` is ``included`` is a report of a study included in the previous version
(``previous.reports``; ``previous.studies`` counts their study ids). Identification, screening and
eligibility count current-round records only; ``included`` counts the new studies and ``total`` adds the
previous ones, as the template's previous_studies, new_studies and total_studies rows do. The diagram
gains the template's "Previous studies" column and total box whenever an earlier round exists.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from pipeline.columns import PRISMA_BOX, RECORD_ID, SCREEN_DECISION, SCREEN_REASON, SOURCE, STUDY_ID, PrismaBox
from pipeline.config import Settings
from pipeline.errors import CheckError
from pipeline.render import prisma_flow
from pipeline.stage import Kind, Stage, file, from_config
from pipeline.stopping import STOPPED_REASON, rule_name

log = logging.getLogger(__name__)

OTHER_METHODS = ("website", "organisation", "citation")
REQUIRED_COLUMNS = (RECORD_ID, SOURCE, PRISMA_BOX, SCREEN_REASON, STUDY_ID, SCREEN_DECISION)
TEMPLATE_COLUMNS = ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]

_REMOVED = (PrismaBox.DUPLICATE, PrismaBox.AUTOMATION, PrismaBox.OTHER_REMOVED)
_ASSESSED = (PrismaBox.FT_EXCLUDED, PrismaBox.INCLUDED, PrismaBox.PENDING_FT)
_SOUGHT = (PrismaBox.NOT_RETRIEVED, *_ASSESSED)
_SCREENED = (PrismaBox.TA_EXCLUDED, PrismaBox.PENDING_TA, *_SOUGHT)


# --- counts --------------------------------------------------------------------------------


def count(records: pd.DataFrame, settings: Settings) -> dict:
    """The whole PRISMA 2020 flow as a nested, JSON-ready dict (plain ints, sorted keys)."""
    _require_columns(records)
    _require_known_boxes(records)
    tally = _tally(records, settings)
    boxes = _box_totals(tally)
    new_rows = tally[tally[PRISMA_BOX] != PrismaBox.PREVIOUS.value]
    other_rows = new_rows[new_rows["method"] != ""]
    boxes_other = _box_totals(other_rows)
    dbr_rows = new_rows[new_rows["method"] == ""]
    included = records[PRISMA_BOX] == PrismaBox.INCLUDED.value
    previous_included = (records[PRISMA_BOX] == PrismaBox.PREVIOUS.value) & (records[SCREEN_DECISION] == "included")
    new_studies = int(records.loc[included, STUDY_ID].nunique())
    previous_studies = int(records.loc[previous_included, STUDY_ID].nunique())

    boxes_dbr = {box: boxes[box] - boxes_other[box] for box in boxes}
    counts = {
        "boxes": boxes,
        "boxes_other_methods": boxes_other,
        "records_total": int(len(records)),
        "identification": {
            "databases": _database_counts(dbr_rows, settings),
            "databases_total": int(dbr_rows["n"].sum()),
            "other_methods": {method: int(other_rows.loc[other_rows["method"] == method, "n"].sum())
                              for method in OTHER_METHODS},
            "other_total": int(other_rows["n"].sum()),
        },
        "removed_before_screening": {
            "duplicates": boxes[PrismaBox.DUPLICATE.value],
            "automation": boxes[PrismaBox.AUTOMATION.value],
            "automation_by_reason": _by_reason(tally, PrismaBox.AUTOMATION),
            "other": boxes[PrismaBox.OTHER_REMOVED.value],
            "other_by_reason": _by_reason(tally, PrismaBox.OTHER_REMOVED),
        },
        "screening": {
            "screened": _sum_boxes(boxes, _SCREENED),
            "excluded": boxes[PrismaBox.TA_EXCLUDED.value],
            "excluded_by_reason": _by_reason(tally, PrismaBox.TA_EXCLUDED),
            "pending": boxes[PrismaBox.PENDING_TA.value],
        },
        "retrieval": {
            "sought": _sum_boxes(boxes, _SOUGHT),
            "not_retrieved": boxes[PrismaBox.NOT_RETRIEVED.value],
            "not_retrieved_by_reason": _by_reason(tally, PrismaBox.NOT_RETRIEVED),
            "dbr_sought": _sum_boxes(boxes_dbr, _SOUGHT),
            "dbr_not_retrieved": boxes_dbr[PrismaBox.NOT_RETRIEVED.value],
            "dbr_not_retrieved_by_reason": _by_reason(dbr_rows, PrismaBox.NOT_RETRIEVED),
            "other_sought": _sum_boxes(boxes_other, _SOUGHT),
            "other_not_retrieved": boxes_other[PrismaBox.NOT_RETRIEVED.value],
            "other_not_retrieved_by_reason": _by_reason(other_rows, PrismaBox.NOT_RETRIEVED),
        },
        "eligibility": {
            "assessed": _sum_boxes(boxes, _ASSESSED),
            "excluded": boxes[PrismaBox.FT_EXCLUDED.value],
            "excluded_by_reason": _by_reason(tally, PrismaBox.FT_EXCLUDED),
            "pending": boxes[PrismaBox.PENDING_FT.value],
            "dbr_assessed": _sum_boxes(boxes_dbr, _ASSESSED),
            "dbr_excluded": boxes_dbr[PrismaBox.FT_EXCLUDED.value],
            "dbr_excluded_by_reason": _by_reason(dbr_rows, PrismaBox.FT_EXCLUDED),
            "other_assessed": _sum_boxes(boxes_other, _ASSESSED),
            "other_excluded": boxes_other[PrismaBox.FT_EXCLUDED.value],
            "other_excluded_by_reason": _by_reason(other_rows, PrismaBox.FT_EXCLUDED),
        },
        "included": {
            "reports": boxes[PrismaBox.INCLUDED.value],
            "studies": new_studies,
        },
        "previous": {
            "records": boxes[PrismaBox.PREVIOUS.value],
            "reports": int(previous_included.sum()),
            "studies": previous_studies,
        },
        "total": {
            "reports": boxes[PrismaBox.INCLUDED.value] + int(previous_included.sum()),
            "studies": new_studies + previous_studies,
        },
    }
    return _sorted(counts)


def _require_columns(records: pd.DataFrame) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in records.columns]
    if missing:
        raise CheckError(f"screened records lack column(s) {', '.join(missing)}", where="prisma input",
                         fix="run the screen stage first; its output has every column prisma needs")


def _require_known_boxes(records: pd.DataFrame) -> None:
    allowed = [box.value for box in PrismaBox]
    unknown = records.loc[~records[PRISMA_BOX].isin(allowed), [RECORD_ID, PRISMA_BOX]]
    if len(unknown):
        first = unknown.iloc[0]
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise CheckError(f"record has prisma_box {first[PRISMA_BOX]!r}{more}", where=f"record {first[RECORD_ID]}",
                         fix=f"every record needs one of: {', '.join(allowed)}; rerun the screen stage")


def _tally(records: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Records per (source, box, reason), with each source's other method ("" for databases)."""
    grouped = records.groupby([SOURCE, PRISMA_BOX, SCREEN_REASON], sort=True, dropna=False)
    tally = grouped.size().rename("n").reset_index()
    methods = {source.id: source.other_method for source in settings.sources}
    names = {source.id: source.name for source in settings.sources}
    tally["method"] = [methods.get(source, "") for source in tally[SOURCE]]
    tally["name"] = [names.get(source, source) for source in tally[SOURCE]]
    return tally


def _box_totals(tally: pd.DataFrame) -> dict[str, int]:
    per_box = tally.groupby(PRISMA_BOX)["n"].sum()
    return {box.value: int(per_box.get(box.value, 0)) for box in PrismaBox}


def _sum_boxes(per_box: dict[str, int], selected: tuple[PrismaBox, ...]) -> int:
    return sum(per_box[box.value] for box in selected)


def _by_reason(tally: pd.DataFrame, box: PrismaBox) -> dict[str, int]:
    rows = tally[tally[PRISMA_BOX] == box.value]
    per_reason = rows.groupby(SCREEN_REASON)["n"].sum()
    return {str(reason): int(n) for reason, n in per_reason.items()}


def _database_counts(dbr_rows: pd.DataFrame, settings: Settings) -> dict[str, int]:
    """Records per database name; every database source of the current round appears, with 0 if empty."""
    counts = {source.name: 0 for source in settings.sources
              if not source.other_method and source.round == settings.current_round}
    for name, n in dbr_rows.groupby("name")["n"].sum().items():
        counts[str(name)] = counts.get(str(name), 0) + int(n)
    return counts


def _sorted(value: object) -> object:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return value


# --- check ---------------------------------------------------------------------------------


def check(counts: dict) -> None:
    """Raise CheckError naming every PRISMA identity whose numbers disagree."""
    problems = [_describe(label, value, terms) for label, value, terms in _identities(counts)
                if value != sum(n for _, n in terms)]
    for part, label in (("included", "included"), ("previous", "previous"), ("total", "total")):
        studies, reports = _get(counts, part, "studies"), _get(counts, part, "reports")
        if studies > reports or (reports > 0 and studies == 0):
            problems.append(f"{label} studies {studies} do not fit {label} reports {reports}"
                            " (every included study has at least one report)")
    if _get(counts, "previous", "reports") > _get(counts, "previous", "records"):
        problems.append(f"previous reports {_get(counts, 'previous', 'reports')} exceed the "
                        f"{_get(counts, 'previous', 'records')} records of the previous version")
    if problems:
        raise CheckError("PRISMA boxes do not add up: " + "; ".join(problems), where="prisma counts",
                         fix="each record must sit in exactly one prisma_box; rerun screen and prisma "
                             "rather than editing counts by hand")


def _describe(label: str, value: int, terms: list[tuple[str, int]]) -> str:
    added = sum(n for _, n in terms)
    if not terms:
        return f"{label} {value} != nothing listed (= 0)"
    if len(terms) == 1:
        return f"{label} {value} != {terms[0][0]} {added}"
    return f"{label} {value} != {' + '.join(f'{name} {n}' for name, n in terms)} (= {added})"


def _get(counts: dict, *path: str) -> Any:
    value: Any = counts
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise CheckError(f"PRISMA counts lack '{'.'.join(path)}'", where="prisma counts",
                             fix="produce the counts with pipeline.prisma.count")
        value = value[key]
    return value


def _reasons(counts: dict, phase: str, key: str) -> list[tuple[str, int]]:
    return [(f"reason {reason or '(none)'}", n) for reason, n in _get(counts, phase, key).items()]


def _identities(counts: dict) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """(label, value, terms that must add up to value) for every identity of the flow."""
    def get(*path: str) -> int:
        return _get(counts, *path)

    boxes = _get(counts, "boxes")
    other_boxes = _get(counts, "boxes_other_methods")
    identified = get("identification", "databases_total") + get("identification", "other_total")

    def box_sum(source: dict, selected: tuple[PrismaBox, ...]) -> list[tuple[str, int]]:
        return [(f"box {box.value}", source.get(box.value, 0)) for box in selected]

    return [
        ("identified", identified, [
            ("duplicates", get("removed_before_screening", "duplicates")),
            ("automation", get("removed_before_screening", "automation")),
            ("other", get("removed_before_screening", "other")),
            ("screened", get("screening", "screened"))]),
        ("screened", get("screening", "screened"), [
            ("excluded", get("screening", "excluded")),
            ("sought", get("retrieval", "sought")),
            ("pending", get("screening", "pending"))]),
        ("sought", get("retrieval", "sought"), [
            ("not retrieved", get("retrieval", "not_retrieved")),
            ("assessed", get("eligibility", "assessed"))]),
        ("assessed", get("eligibility", "assessed"), [
            ("excluded with reasons", get("eligibility", "excluded")),
            ("included reports", get("included", "reports")),
            ("pending", get("eligibility", "pending"))]),
        ("records_total", get("records_total"), [(f"box {box}", n) for box, n in boxes.items()]),
        ("records_total", get("records_total"), [
            ("databases identified", get("identification", "databases_total")),
            ("other methods identified", get("identification", "other_total")),
            ("previous version records", get("previous", "records"))]),
        ("previous version records", get("previous", "records"), box_sum(boxes, (PrismaBox.PREVIOUS,))),
        ("total studies", get("total", "studies"), [
            ("previous studies", get("previous", "studies")), ("new studies", get("included", "studies"))]),
        ("total reports", get("total", "reports"), [
            ("previous reports", get("previous", "reports")), ("new reports", get("included", "reports"))]),
        ("databases identified", get("identification", "databases_total"),
         [(f"database {name}", n) for name, n in _get(counts, "identification", "databases").items()]),
        ("other methods identified", get("identification", "other_total"),
         [(method, n) for method, n in _get(counts, "identification", "other_methods").items()]),
        ("other methods identified", get("identification", "other_total"),
         [(f"other-methods box {box}", n) for box, n in other_boxes.items()]),
        ("duplicates", get("removed_before_screening", "duplicates"), box_sum(boxes, (PrismaBox.DUPLICATE,))),
        ("screened", get("screening", "screened"), box_sum(boxes, _SCREENED)),
        ("sought", get("retrieval", "sought"), box_sum(boxes, _SOUGHT)),
        ("included reports", get("included", "reports"), box_sum(boxes, (PrismaBox.INCLUDED,))),
        ("automation", get("removed_before_screening", "automation"),
         _reasons(counts, "removed_before_screening", "automation_by_reason")),
        ("other removed", get("removed_before_screening", "other"),
         _reasons(counts, "removed_before_screening", "other_by_reason")),
        ("records excluded", get("screening", "excluded"), _reasons(counts, "screening", "excluded_by_reason")),
        ("not retrieved", get("retrieval", "not_retrieved"), _reasons(counts, "retrieval", "not_retrieved_by_reason")),
        ("reports excluded", get("eligibility", "excluded"), _reasons(counts, "eligibility", "excluded_by_reason")),
        ("dbr_not_retrieved", get("retrieval", "dbr_not_retrieved"),
         _reasons(counts, "retrieval", "dbr_not_retrieved_by_reason")),
        ("other_not_retrieved", get("retrieval", "other_not_retrieved"),
         _reasons(counts, "retrieval", "other_not_retrieved_by_reason")),
        ("dbr_excluded", get("eligibility", "dbr_excluded"),
         _reasons(counts, "eligibility", "dbr_excluded_by_reason")),
        ("other_excluded", get("eligibility", "other_excluded"),
         _reasons(counts, "eligibility", "other_excluded_by_reason")),
        ("sought", get("retrieval", "sought"), [
            ("dbr_sought", get("retrieval", "dbr_sought")), ("other_sought", get("retrieval", "other_sought"))]),
        ("not retrieved", get("retrieval", "not_retrieved"), [
            ("dbr_not_retrieved", get("retrieval", "dbr_not_retrieved")),
            ("other_not_retrieved", get("retrieval", "other_not_retrieved"))]),
        ("assessed", get("eligibility", "assessed"), [
            ("dbr_assessed", get("eligibility", "dbr_assessed")),
            ("other_assessed", get("eligibility", "other_assessed"))]),
        ("reports excluded", get("eligibility", "excluded"), [
            ("dbr_excluded", get("eligibility", "dbr_excluded")),
            ("other_excluded", get("eligibility", "other_excluded"))]),
        ("other_sought", get("retrieval", "other_sought"), box_sum(other_boxes, _SOUGHT)),
        ("other_assessed", get("eligibility", "other_assessed"), box_sum(other_boxes, _ASSESSED)),
    ]


# --- PRISMA2020 template -------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    data: str
    node: str
    box: str
    description: str
    boxtext: str


_TEMPLATE_ROWS = (
    _Row("NA", "node4", "prevstud", "Header of the previous-review column", "Previous studies"),
    _Row("previous_studies", "node5", "box1", "Studies counted in the earlier version of this review",
         "Studies included in previous version of review"),
    _Row("previous_reports", "NA", "box1", "Reports of the studies counted in the earlier version",
         "Reports of studies included in previous version of review"),
    _Row("NA", "node6", "newstud", "Header of the databases and registers column",
         "Identification of new studies via databases and registers"),
    _Row("database_results", "node7", "box2", "Records found by searching databases", "Databases"),
    _Row("database_specific_results", "NA", "box2", "Records per database as 'Name, n; Name, n'",
         "Specific databases"),
    _Row("register_results", "NA", "box2", "Records found by searching registers", "Registers"),
    _Row("register_specific_results", "NA", "box2", "Records per register as 'Name, n; Name, n'",
         "Specific registers"),
    _Row("NA", "node16", "othstud", "Header of the other-methods column",
         "Identification of new studies via other methods"),
    _Row("website_results", "node17", "box11", "Records found on websites", "Websites"),
    _Row("organisation_results", "", "box11", "Records found through organisations", "Organisations"),
    _Row("citations_results", "NA", "box11", "Records found by citation searching", "Citation searching"),
    _Row("duplicates", "node8", "box3", "Records removed before screening as duplicates", "Duplicate records"),
    _Row("excluded_automatic", "NA", "box3", "Records removed before screening by automation tools",
         "Records marked as ineligible by automation tools"),
    _Row("excluded_other", "NA", "box3", "Records removed before screening for any other reason",
         "Records removed for other reasons"),
    _Row("records_screened", "node9", "box4", "Records whose title and abstract were screened (all sources)",
         "Records screened"),
    _Row("records_excluded", "node10", "box5", "Records excluded on title and abstract (all sources)",
         "Records excluded"),
    _Row("dbr_sought_reports", "node11", "box6", "Full reports sought, records from databases",
         "Reports sought for retrieval"),
    _Row("dbr_notretrieved_reports", "node12", "box7", "Full reports not obtained, records from databases",
         "Reports not retrieved"),
    _Row("other_sought_reports", "node18", "box12", "Full reports sought, records from other methods",
         "Reports sought for retrieval"),
    _Row("other_notretrieved_reports", "node19", "box13", "Full reports not obtained, records from other methods",
         "Reports not retrieved"),
    _Row("dbr_assessed", "node13", "box8", "Full reports assessed, records from databases",
         "Reports assessed for eligibility"),
    _Row("dbr_excluded", "node14", "box9", "Full reports excluded per reason as 'Reason, n; Reason, n' (databases)",
         "Reports excluded"),
    _Row("other_assessed", "node20", "box14", "Full reports assessed, records from other methods",
         "Reports assessed for eligibility"),
    _Row("other_excluded", "node21", "box15",
         "Full reports excluded per reason as 'Reason, n; Reason, n' (other methods)", "Reports excluded"),
    _Row("new_studies", "node15", "box10", "Studies newly included", "New studies included in review"),
    _Row("new_reports", "NA", "box10", "Reports of the newly included studies", "Reports of new included studies"),
    _Row("total_studies", "node22", "box16", "All studies included, earlier and new",
         "Total studies included in review"),
    _Row("total_reports", "NA", "box16", "Reports of all included studies", "Reports of total included studies"),
    _Row("identification", "node1", "identification", "Phase label at the left", "Identification"),
    _Row("screening", "node2", "screening", "Phase label at the left", "Screening"),
    _Row("included", "node3", "included", "Phase label at the left", "Included"),
)


def template(counts: dict, settings: Settings) -> pd.DataFrame:
    """The counts in the layout of the PRISMA2020 R package's data template (see the module docstring)."""
    identification = _get(counts, "identification")
    retrieval, eligibility = _get(counts, "retrieval"), _get(counts, "eligibility")
    removed, screening, included = (_get(counts, "removed_before_screening"), _get(counts, "screening"),
                                    _get(counts, "included"))
    previous, total = _get(counts, "previous"), _get(counts, "total")
    databases = _ordered_databases(identification["databases"], settings)
    values: dict[str, object] = {
        "previous_studies": previous["studies"],
        "previous_reports": previous["reports"],
        "database_results": identification["databases_total"],
        "database_specific_results": _list_cell(databases),
        "register_results": 0,
        "register_specific_results": 0,
        "website_results": identification["other_methods"]["website"],
        "organisation_results": identification["other_methods"]["organisation"],
        "citations_results": identification["other_methods"]["citation"],
        "duplicates": removed["duplicates"],
        "excluded_automatic": removed["automation"],
        "excluded_other": removed["other"],
        "records_screened": screening["screened"],
        "records_excluded": screening["excluded"],
        "dbr_sought_reports": retrieval["dbr_sought"],
        "dbr_notretrieved_reports": retrieval["dbr_not_retrieved"],
        "other_sought_reports": retrieval["other_sought"],
        "other_notretrieved_reports": retrieval["other_not_retrieved"],
        "dbr_assessed": eligibility["dbr_assessed"],
        "dbr_excluded": _list_cell(_labelled_reasons(eligibility["dbr_excluded_by_reason"], settings)),
        "other_assessed": eligibility["other_assessed"],
        "other_excluded": _list_cell(_labelled_reasons(eligibility["other_excluded_by_reason"], settings)),
        "new_studies": included["studies"],
        "new_reports": included["reports"],
        "total_studies": total["studies"],
        "total_reports": total["reports"],
    }
    rows = [[row.data, row.node, row.box, row.description, row.boxtext, "", "", str(values.get(row.data, ""))]
            for row in _TEMPLATE_ROWS]
    return pd.DataFrame(rows, columns=TEMPLATE_COLUMNS, dtype=str)


def _template_name(name: str) -> str:
    """A name the R package reads back whole: no commas or semicolons."""
    return re.sub(r"\s*[,;]\s*", " / ", name).strip(" /")


def _list_cell(items: list[tuple[str, int]]) -> str:
    """``Name, n; Name, n``; a bare 0 when the list is empty (the package reads that as no entries)."""
    if not items:
        return "0"
    return "; ".join(f"{_template_name(name)}, {n}" for name, n in items)


def _ordered_databases(databases: dict[str, int], settings: Settings) -> list[tuple[str, int]]:
    """Databases in config order, then any source missing from the config, by name."""
    configured = [source.name for source in settings.sources if not source.other_method]
    order = [name for name in dict.fromkeys(configured) if name in databases]
    order += sorted(name for name in databases if name not in order)
    return [(name, databases[name]) for name in order]


def _labelled_reasons(by_reason: dict[str, int], settings: Settings) -> list[tuple[str, int]]:
    """(criterion label, n) in config order; unknown ids after, sorted; a missing reason last."""
    position = {criterion.id: index for index, criterion in enumerate(settings.criteria)}
    ordered = sorted(by_reason, key=lambda reason: (reason == "", position.get(reason, len(position)), reason))
    return [(_reason_label(reason, settings), by_reason[reason]) for reason in ordered]


def _reason_label(reason: str, settings: Settings) -> str:
    if not reason:
        return "Reason not recorded"
    criterion = settings.criterion(reason)
    if criterion is None and reason == STOPPED_REASON:
        rule = settings.screening.stopping
        return (f"Not screened: the {rule_name(rule)} allowed stopping (recall at least {rule.recall_target:.0%} "
                f"with {rule.confidence:.0%} confidence)")
    return criterion.label if criterion else reason


# --- diagram -------------------------------------------------------------------------------

_NBSP = "\u00a0"


def _n(value: int) -> str:
    """``(n = 1,234)`` held together by no-break spaces so that wrapping never splits it."""
    return f"(n{_NBSP}={_NBSP}{value:,})"


def _reason_lines(by_reason: dict[str, int], settings: Settings) -> list[str]:
    return [f"• {label}{_NBSP}({n:,})" for label, n in _labelled_reasons(by_reason, settings)]


def _includes_other(n: int) -> list[str]:
    return [f"includes {n:,} from other methods"] if n else []


def _awaiting(n: int) -> list[str]:
    return [f"awaiting a decision {_n(n)}"] if n else []


def _other_pending(counts: dict) -> int:
    return _get(counts, "boxes_other_methods")[PrismaBox.PENDING_FT.value]


def _included_texts(counts: dict, update: bool) -> dict[str, list[str]]:
    included, previous, total = _get(counts, "included"), _get(counts, "previous"), _get(counts, "total")
    if not update:
        return {"included": [f"Studies included in review {_n(included['studies'])}",
                             f"Reports of included studies {_n(included['reports'])}"]}
    return {
        "previous_header": ["Previous studies"],
        "previous": [f"Studies included in previous version of review {_n(previous['studies'])}",
                     f"Reports of studies included in previous version of review {_n(previous['reports'])}"],
        "included": [f"New studies included in review {_n(included['studies'])}",
                     f"Reports of new included studies {_n(included['reports'])}"],
        "total": [f"Total studies included in review {_n(total['studies'])}",
                  f"Reports of total included studies {_n(total['reports'])}"],
    }


def _texts(counts: dict, settings: Settings, update: bool = False) -> dict[str, list[str]]:
    """The text of every box, by slot, before wrapping."""
    identification = _get(counts, "identification")
    removed, screening = _get(counts, "removed_before_screening"), _get(counts, "screening")
    retrieval, eligibility = _get(counts, "retrieval"), _get(counts, "eligibility")
    other = _get(counts, "boxes_other_methods")
    methods = identification["other_methods"]
    return _included_texts(counts, update) | {
        "header": ["Identification of new studies via databases and registers"],
        "other_header": ["Identification of new studies via other methods"],
        "identified": ["Records identified from:", f"Databases {_n(identification['databases_total'])}",
                       *[f"• {name} {_n(n)}" for name, n in
                         _ordered_databases(identification["databases"], settings)]],
        "removed": ["Records removed before screening:",
                    f"Duplicate records {_n(removed['duplicates'])}",
                    f"Records marked as ineligible by automation tools {_n(removed['automation'])}",
                    *_reason_lines(removed["automation_by_reason"], settings),
                    f"Records removed for other reasons {_n(removed['other'])}",
                    *_reason_lines(removed["other_by_reason"], settings),
                    *_includes_other(_sum_boxes(other, _REMOVED))],
        "screened": [f"Records screened {_n(screening['screened'])}", *_awaiting(screening["pending"]),
                     *_includes_other(_sum_boxes(other, _SCREENED))],
        "excluded": [f"Records excluded {_n(screening['excluded'])}",
                     *_reason_lines(screening["excluded_by_reason"], settings),
                     *_includes_other(other[PrismaBox.TA_EXCLUDED.value])],
        "sought": [f"Reports sought for retrieval {_n(retrieval['dbr_sought'])}"],
        "not_retrieved": [f"Reports not retrieved {_n(retrieval['dbr_not_retrieved'])}",
                          *_reason_lines(retrieval["dbr_not_retrieved_by_reason"], settings)],
        "assessed": [f"Reports assessed for eligibility {_n(eligibility['dbr_assessed'])}",
                     *_awaiting(eligibility["pending"] - _other_pending(counts))],
        "ft_excluded": [f"Reports excluded {_n(eligibility['dbr_excluded'])}",
                        *_reason_lines(eligibility["dbr_excluded_by_reason"], settings)],
        "other_identified": ["Records identified from:", f"Websites {_n(methods['website'])}",
                             f"Organisations {_n(methods['organisation'])}",
                             f"Citation searching {_n(methods['citation'])}"],
        "other_sought": [f"Reports sought for retrieval {_n(retrieval['other_sought'])}"],
        "other_not_retrieved": [f"Reports not retrieved {_n(retrieval['other_not_retrieved'])}",
                                *_reason_lines(retrieval["other_not_retrieved_by_reason"], settings)],
        "other_assessed": [f"Reports assessed for eligibility {_n(eligibility['other_assessed'])}",
                           *_awaiting(_other_pending(counts))],
        "other_excluded": [f"Reports excluded {_n(eligibility['other_excluded'])}",
                           *_reason_lines(eligibility["other_excluded_by_reason"], settings)],
    }


def _has_other_methods(counts: dict, settings: Settings) -> bool:
    return _get(counts, "identification", "other_total") > 0 or any(s.other_method for s in settings.sources)


def _is_update(counts: dict, settings: Settings) -> bool:
    """Whether the diagram is for an updated review (records or sources of an earlier round)."""
    return _get(counts, "previous", "records") > 0 or settings.current_round > 1


def diagram(counts: dict, settings: Settings) -> Figure:
    """The PRISMA 2020 flow diagram: for a new review, or for an updated one (previous-studies column and a
    total box) when an earlier search round exists; an other-methods column when other methods are used.
    This module says what each box holds; :mod:`pipeline.render.prisma_flow` lays the boxes out and draws them."""
    update = _is_update(counts, settings)
    return prisma_flow.draw(_texts(counts, settings, update), with_other=_has_other_methods(counts, settings),
                            with_previous=update)


# --- summary ---------------------------------------------------------------------------------


def summary(counts: dict) -> str:
    """One line for the log: identified, removed, screened, excluded, included."""
    identified = _get(counts, "identification", "databases_total") + _get(counts, "identification", "other_total")
    removed = _get(counts, "removed_before_screening")
    excluded = _get(counts, "screening", "excluded") + _get(counts, "eligibility", "excluded")
    pending = _get(counts, "screening", "pending") + _get(counts, "eligibility", "pending")
    parts = [f"{identified} identified", f"{removed['duplicates']} duplicates"]
    if removed["automation"]:
        parts.append(f"{removed['automation']} removed by automation")
    if removed["other"]:
        parts.append(f"{removed['other']} removed for other reasons")
    parts += [f"{_get(counts, 'screening', 'screened')} screened", f"{excluded} excluded"]
    if _get(counts, "retrieval", "not_retrieved"):
        parts.append(f"{_get(counts, 'retrieval', 'not_retrieved')} not retrieved")
    if pending:
        parts.append(f"{pending} awaiting a decision")
    parts.append(f"{_get(counts, 'included', 'reports')} included ({_get(counts, 'included', 'studies')} studies)")
    if _get(counts, "previous", "records"):
        parts.append(f"{_get(counts, 'previous', 'studies')} studies from the previous version, "
                     f"{_get(counts, 'total', 'studies')} in total")
    return "prisma: " + "; ".join(parts)


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    records: pd.DataFrame = file(Kind("table", "the screened records",
                                      required=(PRISMA_BOX, SOURCE, STUDY_ID, SCREEN_DECISION)))


@dataclass(frozen=True)
class Outputs:
    counts: dict = file(Kind("json", "the PRISMA 2020 counts"))
    template: pd.DataFrame = file(Kind("table", "the counts in the PRISMA2020 R package's template layout"))
    diagram: Figure = file(Kind("figure", "the flow diagram"))


def run(inputs: Inputs, settings: Settings) -> Outputs:
    counts = count(inputs.records, settings)
    check(counts)
    log.info(summary(counts))
    return Outputs(counts, template(counts, settings), diagram(counts, settings))


STAGE = Stage("prisma", "PRISMA 2020 counts, template CSV and flow diagram", Inputs, Outputs, run, from_config())
