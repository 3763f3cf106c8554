"""Match: pair features, then named rules that decide each candidate pair.

A rule is a named boolean test over the pair-feature frame with an outcome. Rules are tried in
the order of ``RULES`` and the first that fires decides the pair, so the order *is* the
precedence: human decisions; the vetoes that even a shared DOI cannot override (different DOIs or PubMed IDs,
a notice vs an article, different parts or numbers in the title); the DOI rules; the other
vetoes (volume, issue, pages, years); the other duplicate rules; the ``maybe`` rules; and the
fallback ``not_similar``. A veto also stops the two records from being joined through a third
one (see :mod:`pipeline.dedup.cluster`). Tuning is adding a feature column in
``pair_features`` and a :class:`Rule` at the right place in ``RULES``, with its cases in
``tests/cases/dedup_*.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from pipeline.columns import PairOutcome
from pipeline.config import DedupSettings
from pipeline.dedup import prep as p
from pipeline.dedup.block import POS_A, POS_B

KEY_A, KEY_B = "record_key_a", "record_key_b"
TITLE_SCORE = "title_score"  # rapidfuzz ratio of the normalised titles, 0-100 (0 when one is missing)
OUTCOME = "outcome"
RULE = "rule"
RANK = "rank"  # position of the deciding rule in RULES

# pair features
SAME_DOI = "same_doi"
DOI_CONFLICT = "doi_conflict"
PMID_CONFLICT = "pmid_conflict"  # both records have a PubMed ID and the IDs differ
SAME_COCHRANE = "same_cochrane"  # the same Cochrane review number (prep.COCHRANE)
SAME_KEY = "same_key"
REF_KEY = "ref_key"  # the record_key is a ref: key (title + first author + year), not a DOI or PMID
SAME_FIRST_AUTHOR = "same_first_author"  # see first_authors_agree
AUTHOR_CONFLICT = "author_conflict"  # both first authors known and not the same person (see first_authors_agree)
SAME_AUTHOR_SET = "same_author_set"  # the same two or more authors' family names, in any order (prep.AUTHOR_SET)
TITLE_INSIDE = "title_inside"  # the shorter title, of at least TITLE_INSIDE_WORDS words, is whole words of the longer
# rapidfuzz partial_ratio (the shorter title inside the longer); costly, so computed only for
# pairs with the same volume (or venue) and first page, or the same DOI, where same_citation and
# same_doi use it; 0 elsewhere
TITLE_PARTIAL = "title_partial"
SAME_VOLUME = "same_volume"
# same volume, or no conflicting volume in the same venue (proceedings have none)
SAME_VENUE_VOLUME = "same_venue_volume"
SAME_ISSUE = "same_issue"
# both issues given and not two different numbers ("SUPPL" / "Suppl 2", "7" / "7")
ISSUES_AGREE = "issues_agree"
SAME_LAST_PAGE = "same_last_page"  # both records give a real page range (not one page) ending on the same page
SAME_PAGE = "same_page"
YEAR_GAP = "year_gap"  # -1 when either year is unknown
VOLUME_CONFLICT = "volume_conflict"
PAGE_CONFLICT = "page_conflict"
SAME_ISSUE_OF_JOURNAL = "same_issue_of_journal"
SAME_JOURNAL = "same_journal"  # both journal names known and one venue (prep.venues_agree)
# same volume, issues both plain numbers and different, and not the same numbered first page
# (roman front-matter pages restart in every issue)
ISSUE_CONFLICT = "issue_conflict"
NUMBERS_CONFLICT = "numbers_conflict"  # both titles carry numbers, neither set within the other
NOTICE_CONFLICT = "notice_conflict"
# both journal / proceedings names known and not one venue (prep.venues_agree), and not the same
# volume and page range (a proceedings volume named by its book series in one record)
VENUE_CONFLICT = "venue_conflict"
KIND_CONFLICT = "kind_conflict"  # one a conference paper, the other a journal article
ABSTRACT_CONFLICT = "abstract_conflict"  # one looks like a meeting abstract (prep.MEETING_ABSTRACT), the other not
# an abstract conflict in which the years differ and the other record gives a volume or page of its
# own: an abstract presented one year, the paper published the next (perhaps in the same journal)
ABSTRACT_OTHER_YEAR = "abstract_other_year"
THESIS_CONFLICT = "thesis_conflict"  # one record is a thesis (prep.THESIS), the other not
PART_CONFLICT = "part_conflict"
PROTOCOL_CONFLICT = "protocol_conflict"  # one title announces a study protocol, the other does not
TITLE_MISSING = "title_missing"
# rapidfuzz ratio of an erratum's title without its "Erratum to" (prep.NOTICE_TITLE) and the other
# record's title, when one record is an erratum and the other an article; 0 elsewhere
ERRATUM_TITLE_SCORE = "erratum_title_score"
EITHER_NOTICE = "either_notice"  # either record is a notice (erratum, retraction, comment, reply)
EITHER_ABSTRACT = "either_abstract"  # either record looks like a meeting abstract
SAME_NUMBERED_ISSUE = "same_numbered_issue"  # same journal name, volume and issue number (digits)
SHORT_ITEMS = "short_items"  # both records give a numbered first page and at most one more page
PAGE_COUNTS_AGREE = "page_counts_agree"  # both records give a page range, as long as each other's give or take a page
TITLE_WEAK = "title_weak"  # either title says too little to identify a work ("Reply", "Editorial"; prep.TITLE_WEAK)
HUMAN_SAME = "human_same"
HUMAN_DIFFERENT = "human_different"

SAME, DIFFERENT = "same", "different"
AUTHOR_SIMILAR = 80.0  # first-author family names at least this similar (rapidfuzz ratio) agree
SAME_TITLE = 99.0  # title similarity that leaves only case, punctuation or a typo
DOI_VARIANT_TITLE = 95.0  # title similarity with which a full citation match outweighs two DOIs
CITATION_TITLE = 85.0  # title similarity enough when year, volume, first page and first author agree
TITLE_INSIDE_WORDS = 6  # words the shorter title needs before "one title inside the other" means anything


Test = Callable[[pd.DataFrame, DedupSettings], np.ndarray]
TEXT = np.dtypes.StringDType()  # variable-width strings for numpy's vectorised string functions


@dataclass(frozen=True)
class Rule:
    """A named decision: ``test`` marks the pairs it applies to, ``outcome`` is what they get.

    ``veto`` rules are the explicit non-duplicate rules; ``human`` marks the rules that carry a
    reviewer's decision (which automatic vetoes cannot override); ``link`` marks the rules that join
    a linked report of one study (an erratum and its article, one article printed twice): the two
    records get one study_id like duplicates, the rule (``linked_*``) saying which link it is.
    """

    id: str
    outcome: PairOutcome
    test: Test
    description: str
    veto: bool = False
    human: bool = False
    link: bool = False  # joins a linked report (an erratum, a reprint) to its study rather than a copy


def _values(features: pd.DataFrame, name: str) -> np.ndarray:
    return features[name].to_numpy()


def _title_at_least(features: pd.DataFrame, threshold: float) -> np.ndarray:
    return _values(features, TITLE_SCORE) >= threshold


def _years_agree(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    gap = _values(features, YEAR_GAP)
    return (gap >= 0) & (gap <= settings.max_year_gap)


def _no_venue_conflict(features: pd.DataFrame) -> np.ndarray:
    return ~_values(features, VOLUME_CONFLICT) & ~_values(features, PAGE_CONFLICT)


def _venue_holds(features: pd.DataFrame) -> np.ndarray:
    """No conflicting journal names, or a volume or first page that the two records share: the same
    title and authors in two journals is one abstract presented at two meetings, unless the
    citation says that the names are one journal's (a translated or a book series' name)."""
    return ~_values(features, VENUE_CONFLICT) | _values(features, SAME_VOLUME) | _values(features, SAME_PAGE)


def _title_author_year(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return (_title_at_least(features, settings.title_duplicate) & ~_values(features, TITLE_WEAK)
            & _values(features, SAME_FIRST_AUTHOR)
            & _years_agree(features, settings) & _no_venue_conflict(features) & _venue_holds(features))


def _same_record_key(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    content_key_holds = (~_values(features, TITLE_MISSING) & ~_values(features, TITLE_WEAK)
                         & _no_venue_conflict(features) & _venue_holds(features))
    return _values(features, SAME_KEY) & (~_values(features, REF_KEY) | content_key_holds)


def _same_citation(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    similar = (_title_at_least(features, CITATION_TITLE)
               | (_values(features, TITLE_PARTIAL) >= settings.title_duplicate))
    return (similar & _values(features, SAME_FIRST_AUTHOR) & _years_agree(features, settings)
            & _values(features, SAME_VENUE_VOLUME)
            & (_values(features, SAME_PAGE) | _values(features, SAME_LAST_PAGE)))


def _same_title_and_issue(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return (_title_at_least(features, settings.title_duplicate) & (_values(features, YEAR_GAP) == 0)
            & _values(features, SAME_VOLUME) & _values(features, SAME_ISSUE) & _values(features, SAME_PAGE))


def _same_doi(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    same_author = _values(features, SAME_FIRST_AUTHOR)
    titles_agree = (_title_at_least(features, settings.title_duplicate)
                    | (_title_at_least(features, settings.title_maybe) & same_author)
                    | ((_values(features, TITLE_PARTIAL) >= settings.title_duplicate) & same_author)
                    | (same_author & _values(features, SAME_VOLUME) & _values(features, SAME_PAGE)
                       & _values(features, SAME_LAST_PAGE)))
    same_abstract = _title_at_least(features, settings.title_duplicate) & same_author
    citation_conflict = _values(features, VENUE_CONFLICT) & _values(features, PAGE_CONFLICT)
    # two first authors, one title nearly: the pro and the con of a debate under a supplement's DOI
    authors_hold = (~_values(features, AUTHOR_CONFLICT) | _title_at_least(features, SAME_TITLE)
                    | _values(features, SAME_PAGE))
    return (_values(features, SAME_DOI) & ~_values(features, TITLE_MISSING) & ~citation_conflict & authors_hold
            & ((~_values(features, PAGE_CONFLICT) & titles_agree) | same_abstract))


def _same_authors_reordered(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return (_title_at_least(features, settings.title_duplicate) & ~_values(features, TITLE_WEAK)
            & _values(features, SAME_AUTHOR_SET)
            & (_values(features, YEAR_GAP) == 0) & _no_venue_conflict(features) & ~_values(features, VENUE_CONFLICT))


def _title_inside(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return (_values(features, TITLE_INSIDE) & _title_at_least(features, settings.title_maybe)
            & _values(features, SAME_FIRST_AUTHOR) & (_values(features, YEAR_GAP) == 0)
            & _values(features, SAME_VENUE_VOLUME) & ~_values(features, PAGE_CONFLICT))


def _linked_erratum(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return ((_values(features, ERRATUM_TITLE_SCORE) >= SAME_TITLE) & _values(features, SAME_FIRST_AUTHOR)
            & ~_values(features, SAME_DOI)
            & _values(features, SAME_NUMBERED_ISSUE) & (_values(features, YEAR_GAP) == 0))


def _reports_agree(features: pd.DataFrame) -> np.ndarray:
    """The same title (a title that says something) and the same two or more authors, both records
    articles (no notice, no meeting abstract, no thesis) with no part, protocol or number conflict."""
    return (_title_at_least(features, SAME_TITLE) & ~_values(features, TITLE_WEAK) & _values(features, SAME_AUTHOR_SET)
            & ~_values(features, EITHER_NOTICE) & ~_values(features, PART_CONFLICT)
            & ~_values(features, PROTOCOL_CONFLICT) & ~_values(features, NUMBERS_CONFLICT)
            & ~_values(features, THESIS_CONFLICT))


def _linked_reprint(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return (_reports_agree(features) & ~_values(features, EITHER_ABSTRACT) & _values(features, VOLUME_CONFLICT)
            & ~_values(features, SAME_DOI)
            & _values(features, SAME_JOURNAL) & (_values(features, YEAR_GAP) >= 0) & (_values(features, YEAR_GAP) <= 1)
            & _values(features, PAGE_CONFLICT) & _values(features, PAGE_COUNTS_AGREE))


def _linked_abstract_in_issue(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return (_reports_agree(features) & _values(features, SAME_NUMBERED_ISSUE) & (_values(features, YEAR_GAP) == 0)
            & _values(features, PAGE_CONFLICT) & _values(features, SHORT_ITEMS))


def _same_page_range(features: pd.DataFrame, settings: DedupSettings) -> np.ndarray:
    return (_values(features, SAME_FIRST_AUTHOR) & (_values(features, YEAR_GAP) == 0)
            & ~_values(features, TITLE_MISSING) & _values(features, SAME_VOLUME)
            & _values(features, ISSUES_AGREE) & _values(features, SAME_PAGE)
            & _values(features, SAME_LAST_PAGE) & _values(features, SAME_VENUE_VOLUME))


RULES: tuple[Rule, ...] = (
    Rule("human_different", PairOutcome.DISTINCT, lambda f, s: _values(f, HUMAN_DIFFERENT),
         "a reviewer decided the two record keys are different studies", veto=True, human=True),
    Rule("human_same", PairOutcome.DUPLICATE, lambda f, s: _values(f, HUMAN_SAME),
         "a reviewer decided the two record keys are the same study", human=True),
    Rule("cochrane_review_versions", PairOutcome.DUPLICATE,
         lambda f, s: (_values(f, SAME_COCHRANE) & ~_values(f, NOTICE_CONFLICT)
                       & ((_title_at_least(f, s.title_maybe) & _values(f, SAME_FIRST_AUTHOR))
                          | _title_at_least(f, SAME_TITLE))),
         "the same Cochrane review number (CD009270 in the DOI or pages) and title (>= title_maybe "
         "with the same first author, else the same title): versions of one review (.pub2, .pub3), "
         "whatever their years, a subtitle reworded included; a version retitled is a new review"),
    Rule("linked_erratum", PairOutcome.DUPLICATE, _linked_erratum,
         "linked report: an erratum (its own DOI, if any) whose title is the other record's after its "
         "'Erratum to' (ratio >= 99), same first author, printed in the same journal, volume and issue (numbered) and "
         "year as the article it corrects; joined to the article's study, not a copy of it", link=True),
    Rule("linked_reprint", PairOutcome.DUPLICATE, _linked_reprint,
         "linked report: one article printed twice by one journal, in two volumes at most a year apart "
         "(not under one DOI): the same title (ratio >= 99), the same two or more authors, page ranges as "
         "long as each other's give or take a page and starting on other pages, neither a notice, abstract or thesis", link=True),
    Rule("different_doi", PairOutcome.DISTINCT, lambda f, s: _values(f, DOI_CONFLICT),
         "both records have a DOI, the DOIs differ beyond punctuation, a figure / table suffix or "
         "characters appended to one, and the citations differ (not the same volume, issue, page range, "
         "year and title)", veto=True),
    Rule("different_pmid", PairOutcome.DISTINCT, lambda f, s: _values(f, PMID_CONFLICT),
         "both records have a PubMed ID and the IDs differ: PubMed gives every publication one ID, so "
         "two IDs are two publications (an erratum, a reprint, a companion paper)", veto=True),
    Rule("erratum_or_comment", PairOutcome.DISTINCT, lambda f, s: _values(f, NOTICE_CONFLICT),
         "one record is an erratum, retraction, comment or reply and the other is not (or is another kind)",
         veto=True),
    Rule("part_numbers_differ", PairOutcome.DISTINCT, lambda f, s: _values(f, PART_CONFLICT),
         "the titles declare different parts (Part I vs Part II)", veto=True),
    Rule("protocol_vs_results", PairOutcome.DISTINCT, lambda f, s: _values(f, PROTOCOL_CONFLICT),
         "one title announces a study protocol and the other does not (the protocol and the results paper)",
         veto=True),
    Rule("title_numbers_differ", PairOutcome.DISTINCT, lambda f, s: _values(f, NUMBERS_CONFLICT),
         "the titles carry different numbers (delta-8 vs delta-9, 2010 vs 2012 update)", veto=True),
    Rule("same_doi", PairOutcome.DUPLICATE, _same_doi,
         "same DOI and either title >= title_duplicate with the same first author, or no conflicting "
         "first page and titles similar: >= title_duplicate, or with the same first author: "
         ">= title_maybe, or one title inside the other, or the same volume and page range (a "
         "translated title); a record without a title, or whose journal and first page both disagree "
         "(an abstract printed elsewhere that a database gave the article's DOI), is left to a reviewer"),
    Rule("same_doi_disagreement", PairOutcome.MAYBE, lambda f, s: _values(f, SAME_DOI),
         "same DOI but titles, first author or first page disagree (a DOI shared by a supplement of "
         "abstracts, or a wrong DOI)"),
    Rule("linked_abstract_in_issue", PairOutcome.DUPLICATE, _linked_abstract_in_issue,
         "linked report: one abstract printed twice in one issue (in two sessions): the same title "
         "(ratio >= 99), the same two or more authors, the same journal, volume, issue number and year, "
         "each record a numbered item of one or two pages, on other pages, neither a notice or thesis", link=True),
    Rule("different_volume_and_pages", PairOutcome.DISTINCT,
         lambda f, s: _values(f, VOLUME_CONFLICT) & _values(f, PAGE_CONFLICT),
         "different volume and different first page (an abstract and the full paper, a reprint)", veto=True),
    Rule("different_issue", PairOutcome.DISTINCT, lambda f, s: _values(f, ISSUE_CONFLICT),
         "same volume, different issue numbers and not the same numbered first page (a column that "
         "recurs in every issue)", veto=True),
    Rule("different_pages", PairOutcome.DISTINCT,
         lambda f, s: _values(f, SAME_ISSUE_OF_JOURNAL) & _values(f, PAGE_CONFLICT),
         "same journal, volume and issue but a different first page", veto=True),
    Rule("year_gap", PairOutcome.DISTINCT, lambda f, s: _values(f, YEAR_GAP) > s.max_year_gap,
         "publication years further apart than max_year_gap", veto=True),
    Rule("conference_vs_journal", PairOutcome.DISTINCT,
         lambda f, s: _values(f, KIND_CONFLICT) & _values(f, VENUE_CONFLICT),
         "one is a conference paper or abstract, the other a journal article, in another venue", veto=True),
    Rule("meeting_abstract_vs_article", PairOutcome.DISTINCT,
         lambda f, s: _values(f, ABSTRACT_CONFLICT) & (_values(f, VENUE_CONFLICT) | _values(f, ABSTRACT_OTHER_YEAR)),
         "one looks like a meeting abstract (a conference or supplement issue, a one-page item) and the "
         "other not, in another venue, or in another year with a volume or page of its own (the paper "
         "that followed the abstract)", veto=True),
    Rule("thesis_vs_other", PairOutcome.DISTINCT, lambda f, s: _values(f, THESIS_CONFLICT),
         "one record is a thesis (its entry type, or a degree named as its journal or volume: 'Ph.D.') "
         "and the other not: its Dissertation Abstracts entry, or a paper drawn from it", veto=True),
    Rule("different_venue_and_year", PairOutcome.DISTINCT,
         lambda f, s: _values(f, VENUE_CONFLICT) & (_values(f, YEAR_GAP) > 0),
         "different journals (not abbreviations of one another) and different years: an abstract presented "
         "one year and the paper published the next, or two reports of one study", veto=True),
    Rule("same_record_key", PairOutcome.DUPLICATE, _same_record_key,
         "same record_key: the same PMID, or the same normalised title (not empty, not a bare 'Reply' or "
         "'Editorial') + first author + year with no conflicting volume or first page"),
    Rule("title_author_year", PairOutcome.DUPLICATE, _title_author_year,
         "title similarity >= title_duplicate (a title that says something: not 'Reply', 'Editorial'), same "
         "first author, years within max_year_gap, no conflicting volume or first page"),
    Rule("same_citation", PairOutcome.DUPLICATE, _same_citation,
         "same first author, years within max_year_gap, same first page and same volume (or, without "
         "conflicting volumes, the same venue), and titles similar (ratio >= 85, or one title inside "
         "the other): a subtitle dropped, a heading prepended"),
    Rule("same_authors_reordered", PairOutcome.DUPLICATE, _same_authors_reordered,
         "title similarity >= title_duplicate, the same two or more authors in another order, the same "
         "year and no conflicting venue, volume or first page (a conference system that sorts its authors)"),
    Rule("title_inside", PairOutcome.DUPLICATE, _title_inside,
         "one title is the other with words added before or after it (a column heading, a teaser), the "
         "shorter of at least six words, title similarity >= title_maybe, same first author, year and "
         "journal, no conflicting volume or first page"),
    Rule("same_title_and_issue", PairOutcome.DUPLICATE, _same_title_and_issue,
         "title similarity >= title_duplicate, same year, volume, issue and first page, whatever the "
         "first author (name order or a particle garbled: 'Goicoechea de, Jorge E.' / 'de Jorge, E. G.')"),
    Rule("same_page_range", PairOutcome.DUPLICATE, _same_page_range,
         "same first author, year, journal, volume, issue and page range (first and last page), both "
         "titles present but not similar: a title translated or reworded by one database"),
    Rule("strong_title_weak_agreement", PairOutcome.MAYBE,
         lambda f, s: _title_at_least(f, s.title_duplicate),
         "title similarity >= title_duplicate but first author, year, volume or pages do not agree"),
    Rule("similar_title", PairOutcome.MAYBE, lambda f, s: _title_at_least(f, s.title_maybe),
         "title similarity in [title_maybe, title_duplicate)"),
    Rule("not_similar", PairOutcome.DISTINCT, lambda f, s: np.ones(len(f), dtype=bool),
         "no rule above applies"),
)
RULE_BY_ID = {rule.id: rule for rule in RULES}


def _both(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (left != "") & (right != "")


def _text(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object).astype(TEXT)


def _pair_key(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The two keys as one order-free string."""
    left, right = _text(left), _text(right)
    low = np.where(left <= right, left, right)
    high = np.where(left <= right, right, left)
    return np.strings.add(np.strings.add(low, "\x1f"), high)


def decision_key_pairs(decisions: pd.DataFrame | None, decision: str) -> set[str]:
    """Unordered key pairs (as ``_pair_key`` strings) that carry ``decision``."""
    if decisions is None or not len(decisions):
        return set()
    chosen = decisions[decisions["decision"].str.strip().str.lower() == decision]
    keys = _pair_key(chosen["record_key_a"].str.strip().to_numpy(dtype=object),
                     chosen["record_key_b"].str.strip().to_numpy(dtype=object))
    return set(keys.tolist())


def decision_pairs(frame: pd.DataFrame, decisions: pd.DataFrame | None) -> pd.DataFrame:
    """Position pairs of every record carrying one key of a decision with every record carrying
    the other, so that each human decision is judged even when blocking would not pair them."""
    if decisions is None or not len(decisions):
        return pd.DataFrame({POS_A: np.array([], dtype=np.int64), POS_B: np.array([], dtype=np.int64)})
    positions = pd.DataFrame({"key": frame[p.RECORD_KEY].to_numpy(), "position": np.arange(len(frame))})
    wanted = pd.DataFrame({"key_a": decisions["record_key_a"].str.strip().to_numpy(),
                           "key_b": decisions["record_key_b"].str.strip().to_numpy()})
    left = wanted.merge(positions.rename(columns={"key": "key_a", "position": "left"}), on="key_a")
    both = left.merge(positions.rename(columns={"key": "key_b", "position": "right"}), on="key_b")
    both = both[both["left"] != both["right"]]
    return pd.DataFrame({POS_A: np.minimum(both["left"], both["right"]).to_numpy(dtype=np.int64),
                         POS_B: np.maximum(both["left"], both["right"]).to_numpy(dtype=np.int64)})


def _numbers_differ(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    differ = _both(left, right) & (left != right)
    wanted = np.flatnonzero(differ)  # string functions only where the two differ
    digits_a, digits_b = _text(left[wanted]), _text(right[wanted])
    differ[wanted] = np.strings.isdigit(digits_a) & np.strings.isdigit(digits_b)
    return differ


def _number_sets_conflict(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Both space-joined number sets are non-empty and neither is contained in the other."""
    conflict = _both(left, right) & (left != right)
    for position in np.flatnonzero(conflict):
        one, other = set(left[position].split()), set(right[position].split())
        conflict[position] = not (one <= other or other <= one)
    return conflict


def _contains_word(names: np.ndarray, word: np.ndarray) -> np.ndarray:
    """Whether ``word`` is one of the space-separated words of ``names`` (elementwise)."""
    padded = np.strings.add(np.strings.add(" ", names), " ")
    return np.strings.find(padded, np.strings.add(np.strings.add(" ", word), " ")) >= 0


def first_authors_agree(family_a: np.ndarray, family_b: np.ndarray, name_a: np.ndarray,
                        name_b: np.ndarray) -> np.ndarray:
    """Whether the first authors are the same person, allowing for the ways databases write names:
    equal family slugs; similar ones (ratio >= AUTHOR_SIMILAR: "Builova" / "Bu?lova"); one of at
    least three letters inside the other ("Joode" / "De Joode"); or one's family among the other's
    first words (prep.FIRST_AUTHOR: swapped family and given names, "Kang, Si Hyun" / "Si Hyun Kang")."""
    known = _both(family_a, family_b)
    agree = known & (family_a == family_b)
    differ = np.flatnonzero(known & ~agree)  # the slower comparisons only where the slugs differ
    if not len(differ):
        return agree
    family_a, family_b, name_a, name_b = (_text(values[differ]) for values in (family_a, family_b, name_a, name_b))
    similar = process.cpdist(family_a.tolist(), family_b.tolist(), scorer=fuzz.ratio, dtype=np.float64)
    length_a, length_b = np.strings.str_len(family_a), np.strings.str_len(family_b)
    inside = (((length_a >= 3) & (np.strings.find(family_b, family_a) >= 0))
              | ((length_b >= 3) & (np.strings.find(family_a, family_b) >= 0)))
    swapped = (((length_a >= 2) & _contains_word(name_b, family_a))
               | ((length_b >= 2) & _contains_word(name_a, family_b)))
    agree[differ] = (similar >= AUTHOR_SIMILAR) | inside | swapped
    return agree


def _title_scores(title_a: np.ndarray, title_b: np.ndarray, alt_a: np.ndarray, alt_b: np.ndarray) -> np.ndarray:
    """rapidfuzz ratio of the titles, or of one record's alternative (bracketed original-language)
    title with the other's title when that is higher."""
    if not len(title_a):
        return np.array([], dtype=np.float64)
    scores = process.cpdist(title_a.tolist(), title_b.tolist(), scorer=fuzz.ratio, dtype=np.float64)
    for alt, other, has in ((alt_a, title_b, alt_a != ""), (alt_b, title_a, alt_b != "")):
        wanted = np.flatnonzero(has & (other != ""))
        if len(wanted):
            alternative = process.cpdist(alt[wanted].tolist(), other[wanted].tolist(), scorer=fuzz.ratio,
                                         dtype=np.float64)
            scores[wanted] = np.maximum(scores[wanted], alternative)
    return scores


def _title_inside_other(title_a: np.ndarray, title_b: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Whether, at the ``wanted`` positions, the shorter normalised title (of at least
    TITLE_INSIDE_WORDS words) is a run of whole words of the longer one."""
    inside = np.zeros(len(title_a), dtype=bool)
    for position in np.flatnonzero(wanted):
        short, long = sorted((title_a[position], title_b[position]), key=len)
        if short != long and len(short.split()) >= TITLE_INSIDE_WORDS:
            inside[position] = f" {short} " in f" {long} "
    return inside


def _one_starts_the_other(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether one (non-empty) string begins the other: a DOI with characters appended by an export
    ("...2016.01.007" / "...2016.01.00787")."""
    starts = _both(left, right)
    wanted = np.flatnonzero(starts & (left != right))  # string functions only where the two differ
    left, right = _text(left[wanted]), _text(right[wanted])
    starts[wanted] = np.strings.startswith(left, right) | np.strings.startswith(right, left)
    return starts


def _only_letters_differ(doi_a: np.ndarray, doi_b: np.ndarray, digits_a: np.ndarray,
                         digits_b: np.ndarray) -> np.ndarray:
    """Whether two DOIs have one registrant prefix and the same digits after it (at least
    prep.MIN_DOI_DIGITS), differing only in letters: a journal code mistyped ("pp-2018-0124" /
    "pap-2018-0124")."""
    return _both(doi_a, doi_b) & (doi_a != doi_b) & _both(digits_a, digits_b) & (digits_a == digits_b)


def _venues_conflict(journal_a: np.ndarray, journal_b: np.ndarray) -> np.ndarray:
    """Both journal names known and not one venue (prep.venues_agree), each distinct pair of names
    judged once (a few journals make most of the pairs)."""
    conflict = _both(journal_a, journal_b) & (journal_a != journal_b)
    wanted = np.flatnonzero(conflict)
    if not len(wanted):
        return conflict
    codes, names = pd.factorize(np.concatenate([journal_a[wanted], journal_b[wanted]]))
    count = len(names)
    left, right = codes[:len(wanted)].astype(np.int64), codes[len(wanted):].astype(np.int64)
    # venues_agree is symmetric, so each unordered pair of names is judged once
    distinct, inverse = np.unique(np.minimum(left, right) * count + np.maximum(left, right), return_inverse=True)
    agree = np.fromiter((_venues_agree(names[code // count], names[code % count]) for code in distinct.tolist()),
                        dtype=bool, count=len(distinct))
    conflict[wanted] = ~agree[inverse]
    return conflict


@lru_cache(maxsize=1 << 18)
def _venues_agree(venue_a: str, venue_b: str) -> bool:
    return p.venues_agree(venue_a, venue_b)


def _cut_short(text: str, first: str, last: str) -> bool:
    """Whether the range ``text`` ("2-8", "-8") is the range first-last with its numbers cut to
    their leading or trailing digits (2665-2668 written "2-8" or "t-8")."""
    start, _, end = text.partition("-")
    return (end != "" and len(start) < len(first) and len(end) < len(last) and last.endswith(end)
            and (start == "" or first.startswith(start) or first.endswith(start)))


def _range_cut_short(text_a: np.ndarray, text_b: np.ndarray, first_a: np.ndarray, first_b: np.ndarray,
                     last_a: np.ndarray, last_b: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """At the ``wanted`` positions, whether one record's page range is the other's cut short (see
    :func:`_cut_short`): a damaged field, which must not veto the pair."""
    cut = np.zeros(len(wanted), dtype=bool)
    candidates = np.flatnonzero(wanted & ((text_a != "") | (text_b != "")))
    lengths_differ = (np.strings.str_len(_text(first_a[candidates]))
                      != np.strings.str_len(_text(first_b[candidates])))
    for position in candidates[lengths_differ]:
        cut[position] = (_cut_short(text_a[position], first_b[position], last_b[position])
                         or _cut_short(text_b[position], first_a[position], last_a[position]))
    return cut


def _page_counts_agree(first_a: np.ndarray, last_a: np.ndarray, first_b: np.ndarray,
                       last_b: np.ndarray) -> np.ndarray:
    """Whether both records give a numbered page range and the two ranges are as long as each other
    give or take a page (one text set twice)."""
    ranged = (np.strings.isdigit(_text(first_a)) & np.strings.isdigit(_text(first_b))
              & (last_a != "") & (last_b != ""))
    agree = np.zeros(len(first_a), dtype=bool)
    wanted = np.flatnonzero(ranged)
    if len(wanted):
        count_a = last_a[wanted].astype(np.int64) - first_a[wanted].astype(np.int64)
        count_b = last_b[wanted].astype(np.int64) - first_b[wanted].astype(np.int64)
        agree[wanted] = np.abs(count_a - count_b) <= 1
    return agree


def _short_item(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Whether a record is a numbered item of one or two pages ("e3", "e8-e9")."""
    numbered = np.strings.isdigit(_text(first))
    short = numbered & (last == "")
    ranged = np.flatnonzero(numbered & (last != ""))
    short[ranged] = last[ranged].astype(np.int64) - first[ranged].astype(np.int64) <= 1
    return short


def _erratum_title_scores(erratum_title_a: np.ndarray, erratum_title_b: np.ndarray, title_a: np.ndarray,
                          title_b: np.ndarray, notice_a: np.ndarray, notice_b: np.ndarray) -> np.ndarray:
    """Per pair of an erratum and an article, the ratio of the erratum's title without its 'Erratum
    to' and the article's title; 0 for every other pair."""
    scores = np.zeros(len(title_a), dtype=np.float64)
    for erratum, other, notice, other_notice in ((erratum_title_a, title_b, notice_a, notice_b),
                                                 (erratum_title_b, title_a, notice_b, notice_a)):
        wanted = np.flatnonzero((erratum != "") & (notice == "erratum") & (other_notice == "") & (other != ""))
        if len(wanted):
            scores[wanted] = process.cpdist(erratum[wanted].tolist(), other[wanted].tolist(), scorer=fuzz.ratio,
                                            dtype=np.float64)
    return scores


def _is_doi_number(pages: np.ndarray, dois: np.ndarray) -> np.ndarray:
    """Whether a first page is the article number its DOI ends with (at least four digits:
    "106482" of 10.1016/j.chb.2020.106482)."""
    number = np.zeros(len(pages), dtype=bool)
    wanted = np.flatnonzero((dois != "") & (pages != ""))  # string functions only where both are given
    pages, dois = _text(pages[wanted]), _text(dois[wanted])
    long_enough = np.strings.str_len(pages) >= 4
    number[wanted] = long_enough & np.strings.endswith(dois, pages) & np.strings.isdigit(pages)
    return number


def _human_decided(key_a: np.ndarray, key_b: np.ndarray,
                   decisions: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Whether a reviewer decided each pair's two keys are the same study, and whether different."""
    if decisions is None or not len(decisions):  # no keys to look up (the usual first run)
        return np.zeros(len(key_a), dtype=bool), np.zeros(len(key_a), dtype=bool)
    pair_keys = pd.Series(_pair_key(key_a, key_b), dtype=object)
    return (pair_keys.isin(decision_key_pairs(decisions, SAME)).to_numpy(),
            pair_keys.isin(decision_key_pairs(decisions, DIFFERENT)).to_numpy())


def pair_features(frame: pd.DataFrame, pairs: pd.DataFrame, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row of comparison features per candidate pair."""
    a, b = pairs[POS_A].to_numpy(), pairs[POS_B].to_numpy()

    def sides(name: str) -> tuple[np.ndarray, np.ndarray]:
        values = frame[name].to_numpy()
        return values[a], values[b]

    title_a, title_b = sides(p.TITLE)
    volume_a, volume_b = sides(p.VOLUME)
    page_a, page_b = sides(p.PAGE_START)
    missing = (title_a == "") | (title_b == "")
    scores = _title_scores(title_a, title_b, *sides(p.ALT_TITLE))
    scores = np.where(missing, 0.0, scores)
    supplement_a, supplement_b = sides(p.SUPPLEMENT)
    issue_a, issue_b = sides(p.ISSUE)
    end_a, end_b = sides(p.PAGE_END)
    doi_a, doi_b = sides(p.DOI)
    journal_a, journal_b = sides(p.JOURNAL)
    same_volume = _both(volume_a, volume_b) & (volume_a == volume_b)
    same_page = _both(page_a, page_b) & (page_a == page_b)
    # the same range with a mistyped first page ("2297-2108" / "2097-2108")
    same_last_page = _both(end_a, end_b) & (end_a == end_b)
    # an article number (the DOI's last number) given as the page by one record only
    article_number_page = (_is_doi_number(page_a, doi_a) != _is_doi_number(page_b, doi_b))
    page_conflict = _both(page_a, page_b) & (page_a != page_b) & ~same_last_page & ~article_number_page
    page_conflict &= ~np.logical_or(*sides(p.PAGES_AS_DATE))
    page_conflict &= ~_range_cut_short(*sides(p.PAGE_RANGE_TEXT), page_a, page_b, end_a, end_b, page_conflict)
    venue_conflict = _venues_conflict(journal_a, journal_b)
    # a proceedings volume named once by its series, once by its conference: the same pages in one volume
    venue_conflict &= ~(same_volume & same_page & same_last_page)
    # a supplement's number exported as the volume ("Suppl 3" of volume 30 given as volume 3)
    supplement_as_volume = (((supplement_b != "") & (volume_a == supplement_b))
                            | ((supplement_a != "") & (volume_b == supplement_a)))
    # an article number exported as the issue, the record then having no page
    article_number_as_issue = (((page_a == "") & (issue_a != "") & (issue_a == page_b))
                               | ((page_b == "") & (issue_b != "") & (issue_b == page_a)))
    # a supplement numbered as a volume of its own, given by the other record as the issue of the
    # journal's volume ("Kidney Int Suppl 75" / "Kidney International Supplement 57 (75)")
    issue_as_volume = (((issue_b != "") & (volume_a == issue_b)) | ((issue_a != "") & (volume_b == issue_a)))
    volume_conflict = (_both(volume_a, volume_b) & (volume_a != volume_b) & ~supplement_as_volume
                       & ~issue_as_volume)
    same_venue_volume = same_volume | (~volume_conflict & _both(journal_a, journal_b) & ~venue_conflict)
    partial = np.zeros(len(pairs), dtype=np.float64)
    stem_a, stem_b = sides(p.DOI_STEM)
    # the same DOI typed with other punctuation ("endrev/bnz002" / "endrevbnz002", "3_3" / "3-3")
    alnum_a, alnum_b = sides(p.DOI_ALNUM)
    same_doi = _both(doi_a, doi_b) & ((doi_a == doi_b) | (alnum_a == alnum_b))
    wanted = np.flatnonzero(((same_venue_volume & same_page) | same_doi) & ~missing)
    if len(wanted):
        partial[wanted] = process.cpdist(title_a[wanted].tolist(), title_b[wanted].tolist(),
                                         scorer=fuzz.partial_ratio, dtype=np.float64)
    key_a, key_b = sides(p.RECORD_KEY)
    family_a, family_b = sides(p.FAMILY)
    name_a, name_b = sides(p.FIRST_AUTHOR)
    year_a, year_b = sides(p.YEAR)
    notice_a, notice_b = sides(p.NOTICE)
    numbers_a, numbers_b = sides(p.TITLE_NUMBERS)
    part_a, part_b = sides(p.PART)
    protocol_a, protocol_b = sides(p.PROTOCOL)
    kind_a, kind_b = sides(p.KIND)
    abstract_a, abstract_b = sides(p.MEETING_ABSTRACT)
    cochrane_a, cochrane_b = sides(p.COCHRANE)
    thesis_a, thesis_b = sides(p.THESIS)
    pmid_a, pmid_b = sides(p.PMID)
    issue_known_same = ~_both(issue_a, issue_b) | (issue_a == issue_b)
    same_first_author = first_authors_agree(family_a, family_b, name_a, name_b)
    set_a, set_b = sides(p.AUTHOR_SET)
    last_page_conflict = _both(end_a, end_b) & (end_a != end_b)
    same_journal = _both(journal_a, journal_b) & ~venue_conflict
    same_numbered_issue = (same_journal & same_volume & (issue_a == issue_b)
                           & np.strings.isdigit(_text(issue_a)) & np.strings.isdigit(_text(issue_b)))
    erratum_title_a, erratum_title_b = sides(p.NOTICE_TITLE)
    erratum_title_score = _erratum_title_scores(erratum_title_a, erratum_title_b, title_a, title_b,
                                                notice_a, notice_b)
    # the same page range in one volume is one item, whatever marks one record as an abstract
    # ("Acta Neurochir Suppl 100" / "Acta Neurochir (Wien), Supplement. 100", a book series)
    abstract_conflict = (abstract_a != abstract_b) & ~(same_page & same_last_page & ~volume_conflict)
    cited_a, cited_b = (volume_a != "") | (page_a != ""), (volume_b != "") | (page_b != "")
    article_cited = np.where(abstract_a != "", cited_b, cited_a)
    # the same article under two DOIs (a publisher's old and new DOI, a mistyped one): one volume, issue,
    # first page and year, and either the same page range and a similar title (or one inside the other:
    # "Clinical review 138: ..."), or the same title and first author and no other last page
    same_full_citation = (issue_known_same & same_page & (year_a == year_b)
                          & ((same_volume & same_last_page
                              & ((scores >= DOI_VARIANT_TITLE) | (partial >= DOI_VARIANT_TITLE)))
                             | (same_venue_volume & ~last_page_conflict & same_first_author
                                & (scores >= SAME_TITLE))))
    human_same, human_different = _human_decided(key_a, key_b, decisions)
    return pd.DataFrame({
        POS_A: a, POS_B: b, KEY_A: key_a, KEY_B: key_b,
        TITLE_SCORE: scores,
        TITLE_MISSING: missing,
        TITLE_WEAK: np.logical_or(*sides(p.TITLE_WEAK)),
        SAME_DOI: same_doi,
        DOI_CONFLICT: (_both(stem_a, stem_b) & (stem_a != stem_b) & ~same_full_citation
                       & ~_one_starts_the_other(stem_a, stem_b)
                       & ~_only_letters_differ(doi_a, doi_b, *sides(p.DOI_DIGITS))),
        PMID_CONFLICT: _both(pmid_a, pmid_b) & (pmid_a != pmid_b),
        SAME_COCHRANE: _both(cochrane_a, cochrane_b) & (cochrane_a == cochrane_b),
        SAME_KEY: _both(key_a, key_b) & (key_a == key_b),
        REF_KEY: np.strings.startswith(_text(key_a), "ref:"),
        SAME_FIRST_AUTHOR: same_first_author,
        AUTHOR_CONFLICT: _both(family_a, family_b) & ~same_first_author,
        SAME_AUTHOR_SET: _both(set_a, set_b) & (set_a == set_b),
        TITLE_INSIDE: _title_inside_other(title_a, title_b, ~missing & same_first_author & (year_a == year_b)),
        TITLE_PARTIAL: partial,
        SAME_VOLUME: same_volume,
        SAME_VENUE_VOLUME: same_venue_volume,
        SAME_ISSUE: _both(issue_a, issue_b) & (issue_a == issue_b),
        ISSUES_AGREE: _both(issue_a, issue_b) & ~_numbers_differ(issue_a, issue_b),
        SAME_LAST_PAGE: same_last_page,
        SAME_PAGE: same_page,
        YEAR_GAP: np.where((year_a >= 0) & (year_b >= 0), np.abs(year_a - year_b), -1),
        VOLUME_CONFLICT: volume_conflict,
        PAGE_CONFLICT: page_conflict,
        ERRATUM_TITLE_SCORE: erratum_title_score,
        EITHER_NOTICE: (notice_a != "") | (notice_b != ""),
        EITHER_ABSTRACT: (abstract_a != "") | (abstract_b != ""),
        SAME_JOURNAL: same_journal,
        SAME_NUMBERED_ISSUE: same_numbered_issue,
        PAGE_COUNTS_AGREE: _page_counts_agree(page_a, end_a, page_b, end_b),
        SHORT_ITEMS: _short_item(page_a, end_a) & _short_item(page_b, end_b),
        SAME_ISSUE_OF_JOURNAL: (_both(journal_a, journal_b) & (journal_a == journal_b)
                                & _both(volume_a, volume_b) & (volume_a == volume_b)
                                & _both(issue_a, issue_b) & (issue_a == issue_b)),
        ISSUE_CONFLICT: (same_volume & ~((same_page | same_last_page) & np.strings.isdigit(_text(page_a)))
                         & _numbers_differ(issue_a, issue_b) & ~article_number_as_issue),
        NUMBERS_CONFLICT: _number_sets_conflict(numbers_a, numbers_b),
        # a notice whose title lost its "Correction:" in one database: one DOI in one volume and issue
        NOTICE_CONFLICT: (notice_a != notice_b) & ~(same_doi & same_volume & _both(issue_a, issue_b)
                                                     & (issue_a == issue_b)),
        VENUE_CONFLICT: venue_conflict,
        KIND_CONFLICT: _both(kind_a, kind_b) & (kind_a != kind_b),
        ABSTRACT_CONFLICT: abstract_conflict,
        ABSTRACT_OTHER_YEAR: abstract_conflict & (year_a != year_b) & (year_a >= 0) & (year_b >= 0) & article_cited,
        THESIS_CONFLICT: thesis_a != thesis_b,
        PART_CONFLICT: _both(part_a, part_b) & (part_a != part_b),
        PROTOCOL_CONFLICT: protocol_a != protocol_b,
        HUMAN_SAME: human_same,
        HUMAN_DIFFERENT: human_different,
    })


def apply_rules(features: pd.DataFrame, settings: DedupSettings, rules: tuple[Rule, ...] = RULES) -> pd.DataFrame:
    """``features`` plus the deciding rule (first in ``rules`` that fires), its rank and outcome."""
    rank = np.full(len(features), -1, dtype=np.int64)
    for position, rule in enumerate(rules):
        undecided = rank < 0
        if not undecided.any():
            break
        fires = np.asarray(rule.test(features, settings), dtype=bool)
        rank[undecided & fires] = position
    if (rank < 0).any():
        raise ValueError("the last rule must fire for every pair")
    rule_ids = np.array([rule.id for rule in rules], dtype=object)
    outcomes = np.array([rule.outcome.value for rule in rules], dtype=object)
    return features.assign(**{RANK: rank, RULE: rule_ids[rank], OUTCOME: outcomes[rank]})


def match(frame: pd.DataFrame, pairs: pd.DataFrame, settings: DedupSettings,
          decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Decide every candidate pair: features, then rules."""
    return apply_rules(pair_features(frame, pairs, decisions), settings)
