"""The ``tables`` stage: cross-tabulate a study characteristic by evidence level (Tables 2-6).

``crosstab`` builds one table from the classified studies: a row per value of the field, a
column per level (in config order), a ``Total`` column and a ``Total`` row. The table can then
be rendered as Markdown, LaTeX or a byte-stable Excel workbook.

Interventions are multi-valued: a study counts once in the row of each intervention it reports,
and the ``Total`` row counts distinct studies, so the rows add up to more than it. Their table also
places each intervention at the highest level among the studies supporting it (so at the last
level, contraindicated, only when no study at a higher level supports it) and names those studies.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from datetime import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from pipeline import columns as col
from pipeline import markdown
from pipeline.config import Hierarchy, Settings, TableSpec
from pipeline.io import FORMULA_TRIGGERS, loads
from pipeline.stage import Kind, Stage, file, from_config

log = logging.getLogger(__name__)

TOTAL = "Total"
NOT_REPORTED_LABEL = "Not reported"
UNCLASSIFIED_LABEL = "Unclassified"
PERCENT_SUFFIX = " %"
INTERVENTION = "intervention"
INTERVENTIONS_COLUMN = "interventions"
EFFECT_LABELS = {
    col.Effect.EFFECTIVE.value: "Effective",
    col.Effect.NO_EFFECT.value: "No effect",
    col.Effect.MIXED.value: "Mixed",
}
PLACED_COLUMN = "Level of evidence"
STUDIES_COLUMN = "Studies"
MULTI_VALUED_NOTE = ("A study counts once per intervention; Total counts distinct studies, so the rows add up "
                     "to more than the Total row. Each intervention's level of evidence is the highest level "
                     "among the studies supporting it: it is at the last level (contraindicated) only when no "
                     "study at a higher level supports it. Studies lists the supporting study ids.")
FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
SHEET_NAME_MAX = 31


def first_column(spec: TableSpec) -> str:
    """Heading of the table's first column."""
    return spec.label or spec.title


# --- the cross-tabulation --------------------------------------------------------------------


def crosstab(classified: pd.DataFrame, spec: TableSpec, hierarchy: Hierarchy) -> pd.DataFrame:
    """Counts of studies by value of ``spec.field`` (rows) and evidence level (columns).

    Rows are ordered by descending total, then label; "Not reported" comes last, then the
    ``Total`` row (distinct studies per level). For design every design in the vocabulary has
    a row, even with no studies. For the multi-valued field "intervention" a study counts once
    per value, rows are ordered by the level the intervention is placed at, and two more columns
    give that level and the supporting study ids (see :func:`with_placement`). Studies without a
    level get an "Unclassified" column, shown only when there are any.
    """
    labels = {lv.id: lv.label for lv in hierarchy.levels}
    pairs = _study_values(classified, spec, hierarchy)
    pairs[col.EVIDENCE_LEVEL] = pairs[col.EVIDENCE_LEVEL].map(lambda level: labels.get(level, UNCLASSIFIED_LABEL))
    level_columns = list(labels.values())
    if (pairs[col.EVIDENCE_LEVEL] == UNCLASSIFIED_LABEL).any():
        level_columns.append(UNCLASSIFIED_LABEL)

    counts = pd.crosstab(pairs["label"], pairs[col.EVIDENCE_LEVEL]) if len(pairs) else pd.DataFrame()
    counts = counts.reindex(index=_row_labels(pairs, spec, hierarchy), columns=level_columns, fill_value=0)
    counts = counts.fillna(0).astype(int)
    counts[TOTAL] = counts.sum(axis=1)
    counts = counts.loc[_ordered(counts[TOTAL])]

    heading = first_column(spec)
    distinct = pairs.drop_duplicates(col.STUDY_ID).groupby(col.EVIDENCE_LEVEL)[col.STUDY_ID].size()
    total_row = {heading: TOTAL, **{level: int(distinct.get(level, 0)) for level in level_columns},
                 TOTAL: int(pairs[col.STUDY_ID].nunique())}
    body = counts.rename_axis(None).reset_index(names=heading)
    body.columns.name = None
    table = pd.concat([body, pd.DataFrame([total_row])], ignore_index=True)
    table = table.astype({name: int for name in [*level_columns, TOTAL]})
    if spec.field == INTERVENTION:
        table = with_placement(table, pairs, level_columns)
    if spec.percentages:
        table = _with_percentages(table, list(labels.values()))
    return table


def placement(levels: Sequence[str], level_order: Sequence[str]) -> str:
    """The highest of ``levels`` in ``level_order`` (labels); "" when none is a configured level."""
    ranked = [level for level in level_order if level in set(levels)]
    return ranked[0] if ranked else ""


def with_placement(table: pd.DataFrame, pairs: pd.DataFrame, level_columns: Sequence[str]) -> pd.DataFrame:
    """Add each row's level of evidence and supporting study ids; order the rows by that level.

    ``pairs`` holds one row per (study, label) with the study's level label. The Total row keeps
    its place at the end with both cells empty; "Not reported" stays just above it.
    """
    heading = table.columns[0]
    grouped = pairs.groupby("label", sort=True)
    levels = {label: placement(list(group[col.EVIDENCE_LEVEL]), level_columns) for label, group in grouped}
    studies = {label: ";".join(sorted(set(group[col.STUDY_ID]))) for label, group in grouped}
    body, total = table.iloc[:-1].copy(), table.iloc[-1:].copy()
    body[PLACED_COLUMN] = body[heading].map(
        lambda label: "" if label == NOT_REPORTED_LABEL else levels.get(label, ""))
    body[STUDIES_COLUMN] = body[heading].map(lambda label: studies.get(label, ""))
    total[PLACED_COLUMN] = ""
    total[STUDIES_COLUMN] = ""
    order = list(level_columns)
    rank = [(label == NOT_REPORTED_LABEL, order.index(placed) if placed in order else len(order),
             -int(total_count), str(label).casefold(), str(label))
            for label, placed, total_count in zip(body[heading], body[PLACED_COLUMN], body[TOTAL])]
    # sorted() on the row positions, not DataFrame.apply: with no intervention rows (no included
    # study yet) apply returns an empty frame that cannot become a column
    positions = sorted(range(len(body)), key=rank.__getitem__)
    body = body.iloc[positions]
    return pd.concat([body, total], ignore_index=True)


def _study_values(classified: pd.DataFrame, spec: TableSpec, hierarchy: Hierarchy) -> pd.DataFrame:
    """One row per (study, value label) with the study's evidence level."""
    if spec.field == INTERVENTION:
        values = classified[INTERVENTIONS_COLUMN].map(lambda text: loads(text, []) or [col.NOT_REPORTED])
    else:
        values = classified[spec.field].map(lambda value: [value or col.NOT_REPORTED])
    pairs = pd.DataFrame({
        col.STUDY_ID: classified[col.STUDY_ID],
        col.EVIDENCE_LEVEL: classified[col.EVIDENCE_LEVEL],
        "label": values,
    }).explode("label").dropna(subset=["label"])
    pairs["label"] = pairs["label"].map(lambda value: _label(value, spec, hierarchy))
    return pairs.drop_duplicates().reset_index(drop=True)


def _label(value: str, spec: TableSpec, hierarchy: Hierarchy) -> str:
    if value == col.NOT_REPORTED:
        return NOT_REPORTED_LABEL
    if spec.field == col.DESIGN:
        return next((d.label for d in hierarchy.designs if d.id == value), value)
    if spec.field == col.EFFECT:
        return EFFECT_LABELS.get(value, value)
    return value


def _row_labels(pairs: pd.DataFrame, spec: TableSpec, hierarchy: Hierarchy) -> list[str]:
    present = list(dict.fromkeys(pairs["label"]))
    if spec.field == col.DESIGN:
        return list(dict.fromkeys([d.label for d in hierarchy.designs] + present))
    return present


def _ordered(totals: pd.Series) -> list[str]:
    """Descending total, then label (case-insensitively); "Not reported" last."""
    labels = [label for label in totals.index if label != NOT_REPORTED_LABEL]
    labels.sort(key=lambda label: (-int(totals[label]), label.casefold(), label))
    return labels + ([NOT_REPORTED_LABEL] if NOT_REPORTED_LABEL in totals.index else [])


def _with_percentages(table: pd.DataFrame, level_labels: list[str]) -> pd.DataFrame:
    """Insert "<level> %" after each level column: the column's share of its Total row, half up."""
    result = table.copy()
    for label in level_labels:
        denominator = int(table[label].iloc[-1])
        shares = table[label].map(lambda count: _percent(int(count), denominator))
        result.insert(result.columns.get_loc(label) + 1, f"{label}{PERCENT_SUFFIX}", shares)
    return result


def _percent(count: int, total: int) -> float:
    if total == 0:
        return 0.0
    return ((count * 1000 + total // 2) // total) / 10


# --- rendering -------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def to_markdown(table: pd.DataFrame, spec: TableSpec, footnote: str = "") -> str:
    """A GitHub pipe table under a "Table: <title>" line, then the footnote(s); text columns align left."""
    header = list(table.columns)
    alignment = [":---"] + ["---:" if pd.api.types.is_numeric_dtype(table[name]) else ":---" for name in header[1:]]
    rows = ([_cell_text(cell) for cell in values] for values in table.itertuples(index=False, name=None))
    lines = [f"Table: {markdown.inline(spec.title)}", "", *markdown.table(header, rows, alignment)]
    notes = [MULTI_VALUED_NOTE] if spec.field == INTERVENTION else []
    notes += [footnote] if footnote else []
    for note in notes:
        lines += ["", markdown.line(note)]
    return "\n".join(lines) + "\n"


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_LATEX_PATTERN = re.compile("|".join(re.escape(char) for char in _LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    """Escape the characters LaTeX treats specially."""
    return _LATEX_PATTERN.sub(lambda match: _LATEX_SPECIALS[match.group()], text)


def to_latex(table: pd.DataFrame, spec: TableSpec) -> str:
    """A plain ``tabular`` (no packages needed), with a rule above the Total row.

    Numbers are right-aligned, text left-aligned; the multi-valued note follows the table.
    """
    def row(cells: Sequence[Any]) -> str:
        return " & ".join(latex_escape(_cell_text(cell)) for cell in cells) + r" \\"

    alignment = "l" + "".join("r" if pd.api.types.is_numeric_dtype(table[name]) else "l"
                              for name in table.columns[1:])
    body = [row(values) for values in table.itertuples(index=False, name=None)]
    lines = [f"% Table: {spec.title}".replace("\n", " "),
             r"\begin{tabular}{" + alignment + "}",
             r"\hline", row(table.columns), r"\hline", *body[:-1], r"\hline", *body[-1:], r"\hline",
             r"\end{tabular}"]
    if spec.field == INTERVENTION:
        lines += [r"\par\smallskip\noindent{\footnotesize " + latex_escape(MULTI_VALUED_NOTE) + "}"]
    return "\n".join(lines) + "\n"


def _mark_text_cells(sheet: Any) -> None:
    """Store every cell that a spreadsheet would run as a formula as plain text with Excel's quote
    prefix: it shows exactly as written, without an added apostrophe, and is never evaluated."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                cell.data_type = "s"
                cell.quotePrefix = True


def _sheet_names(specs: Sequence[TableSpec]) -> list[str]:
    names: list[str] = []
    for spec in specs:
        base = re.sub(r"[\[\]:*?/\\']", "_", spec.id)[:SHEET_NAME_MAX] or "table"
        name, number = base, 2
        while name.lower() in {n.lower() for n in names}:
            suffix = f"_{number}"
            name, number = base[:SHEET_NAME_MAX - len(suffix)] + suffix, number + 1
        names.append(name)
    return names


def _write_sheet(sheet: Any, spec: TableSpec, table: pd.DataFrame) -> None:
    sheet.append([spec.title])
    sheet.append([str(name) for name in table.columns])
    for values in table.itertuples(index=False, name=None):
        cells: list[Any] = []
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                cells.append(str(value))
            else:
                cells.append(float(value) if isinstance(value, float) else int(value))
        sheet.append(cells)
    if spec.field == INTERVENTION:
        sheet.append([])
        sheet.append([MULTI_VALUED_NOTE])
    _mark_text_cells(sheet)
    sheet["A1"].font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.0"
    widths = [max([len(str(name))] + [len(_cell_text(v)) for v in table[name]]) for name in table.columns]
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = min(width + 2, 60)
    sheet.freeze_panes = "B3"


def to_xlsx_bytes(tables: list[tuple[TableSpec, pd.DataFrame]]) -> bytes:
    """One sheet per table (title, header, rows); the same tables always give the same bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (spec, table) in zip(_sheet_names([spec for spec, _ in tables]), tables):
        _write_sheet(workbook.create_sheet(title=name), spec, table)
    if not tables:
        workbook.create_sheet(title="tables")
    workbook.properties.creator = "pipeline"
    workbook.properties.lastModifiedBy = "pipeline"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    return _with_fixed_timestamps(raw.getvalue())


def _with_fixed_timestamps(archive: bytes) -> bytes:
    """Rewrite a zip archive so that every member carries the same fixed date and time."""
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(fixed, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(member.filename))
    return fixed.getvalue()


def summary_tables(tables: list[tuple[TableSpec, pd.DataFrame]]) -> str:
    """One line: how many tables, their rows, and the studies they count."""
    if not tables:
        return "tables: no tables configured"
    parts = [f"{spec.id} ({len(table) - 1} rows)" for spec, table in tables]
    studies = int(tables[0][1][TOTAL].iloc[-1])
    return f"tables: {len(tables)} tables of {studies} studies: {', '.join(parts)}"


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    classified: pd.DataFrame = file(Kind("table", "the classified studies", required=(col.STUDY_ID, col.EVIDENCE_LEVEL)))


@dataclass(frozen=True)
class Outputs:
    tables: Mapping[str, pd.DataFrame] = file(Kind("tables", "table"))  # by table id
    markdown: str = file(Kind("text", "every table in Markdown"))
    latex: str = file(Kind("text", "every table in LaTeX"))
    workbook: bytes = file(Kind("bytes", "every table as a sheet of one workbook"))


def run(inputs: Inputs, settings: Settings) -> Outputs:
    built = [(spec, crosstab(inputs.classified, spec, settings.hierarchy)) for spec in settings.tables]
    log.info(summary_tables(built))
    return Outputs({spec.id: table for spec, table in built},
                   "\n\n".join(to_markdown(table, spec) for spec, table in built) + "\n",
                   "\n\n".join(to_latex(table, spec) for spec, table in built) + "\n",
                   to_xlsx_bytes(built))


STAGE = Stage("tables", "cross-tabulate study characteristics by evidence level", Inputs, Outputs, run,
              from_config())
