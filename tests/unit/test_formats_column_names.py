"""Column names of the screening tools' CSV exports, and author cells written "Given Family"."""

from __future__ import annotations

import pytest

from pipeline import formats
from pipeline.formats.lists import split_author_list
from pipeline.io import loads


def read_one(header: str, row: str) -> dict:
    frame = formats.read_export(f"{header}\n{row}\n".encode(), file="export.csv", source="s")
    return frame.iloc[0].to_dict()


@pytest.mark.parametrize("header, row, field, value", [
    ("record_id,pubmedID,title,authors,abstract,year", '1,10051933,A title,E J Reimer; G S Dunn,An abstract,1999',
     "pmid", "10051933"),
    ("key,title,authors,journal,year,pubmed_id", "r1,A title,\"Seo, H\",J Nurs,2019,31000001", "pmid", "31000001"),
    ("Title,Authors,Publication Year,Pubmed Id", "A title,\"Seo, H\",2019,31000001", "pmid", "31000001"),
    ("Title,Authors,Year,PMID", "A title,\"Seo, H\",2019,31000001", "pmid", "31000001"),
    ("ItemId,Title,ParentTitle,Year,Authors,TypeName,Abstract", '77,A title,J Nurs,2019,"Seo, H",Journal Article,Text',
     "journal", "J Nurs"),
    ("ItemId,Title,ParentTitle,Year,Authors,TypeName,Abstract", '77,A title,J Nurs,2019,"Seo, H",Journal,Text',
     "record_id", "s:77"),
    ("Key,Item Type,Publication Year,Author,Title,Publication Title,Abstract Note,Manual Tags",
     "ABCD1234,journalArticle,2019,\"Seo, H. J.\",A title,J Nurs,The abstract,stress; nurses", "abstract", "The abstract"),
    ("Key,Item Type,Publication Year,Author,Title,Publication Title,Abstract Note,Manual Tags",
     "ABCD1234,journalArticle,2019,\"Seo, H. J.\",A title,J Nurs,The abstract,stress; nurses", "keywords",
     '["stress","nurses"]'),
], ids=["asreview-pubmedID", "rayyan-pubmed_id", "wos-Pubmed-Id", "pubmed-PMID", "eppi-ParentTitle", "eppi-ItemId",
        "zotero-Abstract-Note", "zotero-Manual-Tags"])
def test_screening_tool_columns_are_read(header, row, field, value):
    assert read_one(header, row)[field] == value


def test_a_pubmed_id_column_gives_untitled_records_their_own_keys():
    record = read_one("record_id,pubmedID,title,abstract", "9,10051933,,")
    assert (record["record_key"], record["problems"]) == ("pmid:10051933", "no title; no authors; no year")


@pytest.mark.parametrize("cell, people", [
    ("H. J. Seo, E.-J. Park", [["Seo", "H. J."], ["Park", "E.-J."]]),
    ("H. J. Seo, E.-J. Park and S. Kim", [["Seo", "H. J."], ["Park", "E.-J."], ["Kim", "S."]]),
    ("H. J. Seo, E.-J. Park, and S. Kim", [["Seo", "H. J."], ["Park", "E.-J."], ["Kim", "S."]]),
    ("Smith, J., Jones, A. and Brown, C.", [["Smith", "J."], ["Jones", "A."], ["Brown", "C."]]),
    ("Smith, John and Jones, Anne", [["Smith", "John"], ["Jones", "Anne"]]),
    ("E J Reimer; G S Dunn", [["Reimer", "E J"], ["Dunn", "G S"]]),
], ids=["given-family-comma", "given-family-and", "oxford-comma", "family-initials-and", "family-given-and",
        "semicolons"])
def test_given_family_author_cells(cell, people):
    assert [list(person) for person in split_author_list(cell)] == people
    assert loads(read_one("title,authors", f'A title,"{cell}"')["authors"], []) == people
