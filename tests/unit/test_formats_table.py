"""The CSV/TSV reader and its column map."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import ExportError
from pipeline.formats import read_export
from pipeline.formats.table import COLUMN_MAP, normalise_header, read, sniff


def read_table(text: str, format_name: str = "auto"):
    return read_export(text.encode("utf-8"), file="test.csv", source="csv", format=format_name)


def test_column_map_names_are_normalised_and_fields_known() -> None:
    for names in COLUMN_MAP.values():
        assert all(normalise_header(name) == name for name in names)
    assert set(COLUMN_MAP) >= {"id", "title", "authors", "year", "journal", "doi", "pmid", "abstract"}


@pytest.mark.parametrize(("header", "delimiter"), [
    ("title,abstract,doi", ","),
    ("title;abstract;doi", ";"),
    ("title\tabstract\tdoi", "\t"),
    ('"Lens ID","Title","Author/s"', ","),
    ("abstract ,alternate_title2,first_authors", ","),
], ids=["comma", "semicolon", "tab", "quoted", "spaces-in-names"])
def test_sniff_finds_the_delimiter(header: str, delimiter: str) -> None:
    found = sniff(header)
    assert found is not None and found[0] == delimiter


@pytest.mark.parametrize("header", ["alpha,beta,gamma", "TY  - JOUR", "Dear reviewer, thanks"])
def test_sniff_rejects_lines_that_are_not_bibliographic_headers(header: str) -> None:
    assert sniff(header) is None


@pytest.mark.parametrize(("cell", "expected"), [
    ("Smith J.; Jones A.B.", [["Smith", "J."], ["Jones", "A.B."]]),
    ("Smith A, Walter B", [["Smith", "A"], ["Walter", "B"]]),
    ("Joseph Rottman, Erran Carmel", [["Rottman", "Joseph"], ["Carmel", "Erran"]]),
    ("Haddaway, Neal R. and Feierman, Andrew", [["Haddaway", "Neal R."], ["Feierman", "Andrew"]]),
    ("a1l, a1f and a2l, a2f ; a3l, a3f", [["a1l", "a1f"], ["a2l", "a2f"], ["a3l", "a3f"]]),
    ("['Marx, Karl', 'Lindgren, Astrid']", [["Marx", "Karl"], ["Lindgren", "Astrid"]]),
    ("Rossi, Marco", [["Rossi", "Marco"]]),
], ids=["scopus", "pubmed", "ieee", "bibtex-and", "rayyan", "python-list", "single"])
def test_author_cells(cell: str, expected: list[list[str]]) -> None:
    row = read_table(f'title,authors\nT,"{cell}"\n').iloc[0]
    assert json.loads(row["authors"]) == expected


def test_quoted_multiline_cells_keep_the_row_start_line() -> None:
    frame = read_table('title,abstract,year\n"One","line one\nline two",2001\n\nTwo,,2002\n')
    assert list(frame["line"]) == ["2", "5"]
    assert frame["abstract"].iloc[0] == "line one line two"


def test_tsv_is_reported_as_tsv() -> None:
    frame = read_table("title\tyear\nOne\t2001\n")
    assert (frame["format"].iloc[0], frame["year"].iloc[0]) == ("tsv", "2001")
    assert read_table("title\tyear\nOne\t2001\n", "tsv").equals(frame)


def test_row_with_wrong_cell_count_is_kept_with_a_problem() -> None:
    row = read_table("title,year\nOne,2001,extra\n").iloc[0]
    assert "row has 3 cells, the header has 2" in row["problems"]


def test_empty_rows_are_not_records() -> None:
    assert len(read_table("title,year\nOne,2001\n,\n  ,  \n")) == 1


def test_ids_from_url_columns_use_the_last_path_part() -> None:
    frame = read_table("id,display_name,publication_year\nhttps://openalex.org/W123,T,2020\n")
    assert frame["record_id"].iloc[0] == "csv:W123"


@pytest.mark.parametrize(("header", "row", "field", "expected"), [
    ("title,type_of_reference", "T,JOUR", "entry_type", "journal_article"),
    ("title,ENTRYTYPE", "T,inproceedings", "entry_type", "conference"),
    ("title,Document Type", "T,Book Chapter", "entry_type", "chapter"),
    ("title,Pages", "T,601-10", "page_end", "610"),
    ("title,ISSN", "T,03064530", "issn", "0306-4530"),
    ("title,pubmed_id", "T,123", "pmid", "123"),
    ("title,ids.pmid", "T,https://pubmed.ncbi.nlm.nih.gov/456", "pmid", "456"),
    ("title,Index Keywords", "T,a; b", "keywords", '["a","b"]'),
], ids=["ris-type", "bibtex-type", "document-type", "pages", "issn", "pmid", "pmid-url", "keywords"])
def test_mapped_fields(header: str, row: str, field: str, expected: str) -> None:
    assert read_table(f"{header}\n{row}\n")[field].iloc[0] == expected


@pytest.mark.parametrize(("header", "dialect"), [
    ("Lens ID,Title", "lens"),
    ("id,authorships.author.display_name,display_name", "openalex"),
    ("Authors,Title,Source title,EID", "scopus"),
    ("PMID,Title,Authors,Citation,First Author", "pubmed"),
    ("Title,Author Names,Emtree Drug Index Terms", "embase"),
    ("key,title,authors,notes", "rayyan"),
    ("title,abstract", "generic"),
])
def test_dialects(header: str, dialect: str) -> None:
    cells = ",".join("x" for _ in header.split(","))
    assert read_table(f"{header}\n{cells}\n")["dialect"].iloc[0] == dialect


def test_unreadable_csv_is_an_export_error() -> None:
    with pytest.raises(ExportError, match=r"test.csv:2: the table is not readable CSV"):
        read_table('title,year\n"' + "x" * 140000 + '",2001\n')


def test_text_without_a_header_row_is_an_export_error() -> None:
    with pytest.raises(ExportError, match=r"^t.csv:1: the table has no header row; export with column names"):
        read("\n\n", file="t.csv")
