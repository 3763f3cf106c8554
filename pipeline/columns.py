"""Column names, vocabularies and table contracts shared by every stage.

A stage adds columns to the records it is given and never removes rows, so the columns below
accumulate: ``ingest`` writes ``RECORD_COLUMNS``; ``deduplicate`` adds ``DEDUP_COLUMNS``;
``screen`` adds ``SCREEN_COLUMNS``. List-valued cells (authors, keywords, publication types,
raw fields) are stored as JSON text so that the CSV files stay flat and byte-stable.
"""

from __future__ import annotations

from enum import Enum

# --- ingest: one row per raw record -------------------------------------------------------

RECORD_ID = "record_id"  # "<source>:<native id>" (PMID, accession number) or "<source>:<ordinal>"
RECORD_KEY = "record_key"  # content key, the same for the same record in a later export
SOURCE = "source"  # source id from config.yaml (or the file stem when run standalone)
FILE = "file"  # path of the export as given
LINE = "line"  # 1-based line where the record starts in the file
FORMAT = "format"  # ris | nbib | bibtex | csv | ...
DIALECT = "dialect"  # vendor dialect detected (ebsco, ovid, proquest, pubmed, generic, ...)
ENTRY_TYPE = "entry_type"  # journal_article | book | chapter | thesis | conference | report | other
TITLE = "title"
AUTHORS = "authors"  # JSON list of [family, given]
YEAR = "year"  # four-digit publication year as text, "" when absent
JOURNAL = "journal"  # journal or other container title
VOLUME = "volume"
ISSUE = "issue"
PAGES = "pages"  # as the vendor gave them
PAGE_START = "page_start"
PAGE_END = "page_end"  # expanded: "601-10" gives 601 and 610
DOI = "doi"  # normalised: lower case, no resolver prefix
PMID = "pmid"
ACCESSION = "accession"  # the database's own accession number
DATABASE = "database"  # database name the vendor states (e.g. "CINAHL Complete", "APA PsycInfo")
ISSN = "issn"
ISBN = "isbn"
ABSTRACT = "abstract"
KEYWORDS = "keywords"  # JSON list
LANGUAGE = "language"
PUBLICATION_TYPES = "publication_types"  # JSON list, as the database states them
URL = "url"
PROBLEMS = "problems"  # "; "-joined notes on what is missing or malformed in the record
RAW = "raw"  # JSON object: every field the vendor gave, tag -> list of values, untouched

RECORD_COLUMNS = [
    RECORD_ID, RECORD_KEY, SOURCE, FILE, LINE, FORMAT, DIALECT, ENTRY_TYPE,
    TITLE, AUTHORS, YEAR, JOURNAL, VOLUME, ISSUE, PAGES, PAGE_START, PAGE_END,
    DOI, PMID, ACCESSION, DATABASE, ISSN, ISBN, ABSTRACT, KEYWORDS, LANGUAGE,
    PUBLICATION_TYPES, URL, PROBLEMS, RAW,
]

# --- deduplicate ---------------------------------------------------------------------------

STUDY_ID = "study_id"  # one per duplicate cluster, stable across reruns
IS_DUPLICATE = "is_duplicate"  # True for every record of a cluster but the one kept
DEDUP_RULE = "dedup_rule"  # the rule that joined this record to its cluster ("" if alone)
DEDUP_WITH = "dedup_with"  # record_id of the record it was matched to by that rule

DEDUP_COLUMNS = [STUDY_ID, IS_DUPLICATE, DEDUP_RULE, DEDUP_WITH]


class PairOutcome(str, Enum):
    DUPLICATE = "duplicate"
    MAYBE = "maybe"
    DISTINCT = "distinct"


# --- screen --------------------------------------------------------------------------------

SCREEN_STAGE = "screen_stage"  # where the record's path ended (see ScreenStage)
SCREEN_DECISION = "screen_decision"  # see ScreenDecision
SCREEN_REASON = "screen_reason"  # criterion id for an exclusion; "" otherwise
SCREEN_BY = "screen_by"  # reviewers (or "automation") behind the decision, ";"-joined
PRISMA_BOX = "prisma_box"  # the one PRISMA 2020 box the record is counted in

SCREEN_COLUMNS = [SCREEN_STAGE, SCREEN_DECISION, SCREEN_REASON, SCREEN_BY, PRISMA_BOX]
# screened studies: the other ids the study's records would give it (ids it may have had before a
# merge, split or new export), ";"-joined; a decision or extracted value keyed by one still attaches
EARLIER_IDS = "earlier_ids"
RECORD_KEYS = "record_keys"  # studies: the record_keys of the study's records, ";"-joined
KEPT_RECORD_ID = "kept_record_id"  # studies: the record kept as the study's own


class ScreenStage(str, Enum):
    DEDUPLICATION = "deduplication"
    AUTOMATION = "automation"
    TITLE_ABSTRACT = "title_abstract"
    RETRIEVAL = "retrieval"
    FULL_TEXT = "full_text"


class Decision(str, Enum):
    """A human's decision in a screening file."""

    INCLUDE = "include"
    EXCLUDE = "exclude"
    MAYBE = "maybe"


class ScreenDecision(str, Enum):
    """The resolved state of a record after screening."""

    INCLUDED = "included"
    EXCLUDED = "excluded"
    PENDING = "pending"  # nobody has decided yet
    CONFLICT = "conflict"  # reviewers disagree and no resolution settles it
    DUPLICATE = "duplicate"


class PrismaBox(str, Enum):
    """Every raw record is counted in exactly one of these."""

    DUPLICATE = "duplicate"  # removed before screening: duplicate record
    AUTOMATION = "automation"  # removed before screening: marked ineligible by automation
    OTHER_REMOVED = "other_removed"  # removed before screening: other reasons
    TA_EXCLUDED = "ta_excluded"  # records excluded at title/abstract
    NOT_RETRIEVED = "not_retrieved"  # reports sought but not retrieved
    FT_EXCLUDED = "ft_excluded"  # reports excluded at full text, with a reason
    INCLUDED = "included"  # the kept record of an included study
    PENDING_TA = "pending_title_abstract"  # awaiting a title/abstract decision (or conflict)
    PENDING_FT = "pending_full_text"  # awaiting a full-text decision (or conflict)
    PREVIOUS = "previous_review"  # an update's record from an earlier search round (previous version)


# --- classify ------------------------------------------------------------------------------

DESIGN = "design"
EFFECT = "effect"
EVIDENCE_LEVEL = "evidence_level"
EVIDENCE_RULE = "evidence_rule"  # id of the hierarchy rule (or "override") that gave the level
EVIDENCE_INPUTS = "evidence_inputs"  # the extracted values the rule used, as JSON
RULE_LEVEL = "rule_level"  # the level the hierarchy's rules alone would give
NOT_REPORTED = "not_reported"

EXTRACTION_FIELDS = [
    "design", "effect", "country", "setting", "provider_population", "client_population",
    "intervention", "sample_size", "level_override",
]
# a rater's file (data/raw/extraction/<rater>.csv) may also state the level the rater gives the study
RATER_LEVEL = "level"
RATER_FIELDS = [*EXTRACTION_FIELDS, RATER_LEVEL]
# extraction.csv (long form): one row per extracted value
EXTRACTION_COLUMNS = ["key", "field", "value", "source", "quote", "extractor", "note"]


class Effect(str, Enum):
    EFFECTIVE = "effective"
    NO_EFFECT = "no_effect"
    MIXED = "mixed"
    NOT_REPORTED = "not_reported"


# --- human decision files ------------------------------------------------------------------

DUPLICATE_DECISION_COLUMNS = ["record_key_a", "record_key_b", "decision", "reviewer", "note"]
SCREENING_DECISION_COLUMNS = ["key", "stage", "decision", "reason", "reviewer", "date", "note"]
RESOLUTION_COLUMNS = ["key", "stage", "decision", "reason", "resolved_by", "date", "note"]
