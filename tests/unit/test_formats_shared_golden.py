"""Golden records from real exports: every field of the first record of one shared file per vendor dialect.

tests/fixtures/exports/golden_records.json pins files written here; this pins what the vendors and
reference managers really write (../shared/data/exports). The expected records live in
tests/fixtures/exports/shared_golden.json; after a deliberate change to a reader, rewrite them with
``pytest tests/unit/test_formats_shared_golden.py --update-golden`` and read the diff field by field.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.formats import read_export

pytestmark = pytest.mark.shared

GOLDEN_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / "shared_golden.json"
JSON_COLUMNS = ("authors", "keywords", "publication_types", "raw")

# dialect -> a shared export written by it (paths under ../shared/data/exports)
DIALECTS = {
    "ris-ebscohost": "synthesisr/tests/testthat/testdata/ASP_ris_example.ris",
    "bibtex-ebscohost": "colrev/tests/review_manager/3_packages_search/data/ebsco_bib.bib",
    "ris-ovid": "asreview/tests/demo_data/ovid_psycinfo.ris",
    "ris-proquest": "asreview/tests/demo_data/proquest.ris",
    "ris-scopus": "asreview/tests/demo_data/scopus.ris",
    "ris-web-of-science": "rispy/tests/data/example_wos.ris",
    "ris-embase": "asreview/tests/demo_data/embase.ris",
    "ris-endnote": "asreview/tests/demo_data/pubmed_endnote.txt",
    "ris-zotero": "asreview/tests/demo_data/baseline_zotero.ris",
    "nbib-pubmed": "nbib/tests/resources/pubmed-balloongui-set.nbib",
    "wos-plain-text": "bibliometrix/tests/testthat/fixtures/wos_sample.txt",
    "bibtex-scopus": "colrev/tests/review_manager/3_packages_search/data/scopus_bib.bib",
    "endnote-xml": "jabref/jablib/src/test/resources/org/jabref/logic/importer/fileformat/EndnoteXmlImporterTestArticle.xml",
    "enw-endnote": "jabref/jablib/src/test/resources/org/jabref/logic/importer/fileformat/Endnote.entries.enw",
    "csv-scopus": "bibliometrix/tests/testthat/fixtures/scopus_sample.csv",
    "csv-lens": "bibliometrix/tests/testthat/fixtures/lens_sample.csv",
    "csv-openalex": "bibliometrix/tests/testthat/fixtures/openalex_sample.csv",
    "csv-embase": "asreview/tests/demo_data/embase.csv",
    "csv-rayyan": "rayyan-formats-core/spec/support/example1.csv",
}


def first_record(shared: Path, relative: str) -> dict:
    logging.disable(logging.WARNING)
    try:
        frame = read_export((shared / "exports" / relative).read_bytes(), file=relative, source="golden")
    finally:
        logging.disable(logging.NOTSET)
    row = frame.iloc[0].to_dict()
    return {key: (json.loads(value) if key in JSON_COLUMNS else value) for key, value in row.items()}


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN_FILE.read_text(encoding="utf-8")) if GOLDEN_FILE.exists() else {}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_field_of_the_first_record(dialect, shared_data, golden, update_golden):
    found = first_record(shared_data, DIALECTS[dialect])
    if update_golden:
        golden[dialect] = {"file": DIALECTS[dialect], "record": found}
        GOLDEN_FILE.write_text(json.dumps(dict(sorted(golden.items())), ensure_ascii=False, indent=1) + "\n",
                               encoding="utf-8")
    assert golden.get(dialect, {}).get("file") == DIALECTS[dialect], f"no golden record for {dialect}; see the module docstring"
    assert found == golden[dialect]["record"]
