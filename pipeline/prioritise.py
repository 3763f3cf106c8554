"""Prioritised title/abstract screening: the studies left to screen, likeliest includes first.

A linear model (scikit-learn's logistic regression over TF-IDF word and word-pair weights of
the title, abstract and keywords, includes weighted up) learns from the title/abstract decisions made so far and
scores every undecided study; the queue shows the highest scores first. With no include and no
exclude yet (a cold start) the study's likeness to the review's own words (the search string's
terms and the inclusion criteria's labels in config.yaml) is the score, and those words count as
one more include while the decisions hold only one kind.

The ordering is a pure function of the studies' text, the decisions and the seed: ties fall to
the study id, and :func:`ordering_log` records the model, its parameters, the seed and digests
of both inputs, so a reviewer can check that a logged ordering is what these inputs give.

:func:`rank` is what the screening workbench calls after each batch of decisions; to reorder a
large review quickly it can pass the :class:`Vectors` of the studies it already computed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from pipeline import columns as col
from pipeline.io import loads

log = logging.getLogger(__name__)

MODEL = "tfidf-logistic-regression"
# TF-IDF of words and word pairs, damped counts; rare words kept (a review's includes share them)
VECTORISER = {"ngram_range": (1, 2), "min_df": 1, "max_df": 0.95, "sublinear_tf": True, "strip_accents": "unicode",
              "dtype": np.float32}
# strongly regularised (a few dozen decisions train it), liblinear (deterministic for a seed)
CLASSIFIER = {"C": 0.1, "solver": "liblinear", "max_iter": 200}
# an include weighs this many times its share in balanced class weights: missing one costs more
INCLUDE_WEIGHT = 30.0
WHY_TERMS = 3
RANKED_COLUMNS = [col.STUDY_ID, "rank", "score", "why"]
INCLUDED = ("include", "maybe")  # at title/abstract, maybe passes a study on like include


@dataclass(frozen=True)
class RankSettings:
    seed: int = 0
    query: str = ""  # the review's own words for a cold start (see :func:`review_words`)


@dataclass(frozen=True)
class Vectors:
    """The studies' TF-IDF matrix, one row per study id, and the query's row."""

    study_ids: tuple[str, ...]
    matrix: sparse.csr_matrix
    query: sparse.csr_matrix
    terms: np.ndarray
    digest: str


def review_words(settings) -> str:
    """The search string's terms and the inclusion criteria's labels (a cold start's words)."""
    terms = [term.rstrip("*") for group in settings.search.concepts for term in group]
    labels = [c.label for c in settings.criteria if c.kind == "inclusion"]
    return " ".join([settings.search.string.replace("*", ""), *terms, *labels])


def study_text(studies: pd.DataFrame) -> pd.Series:
    """Title, abstract and keywords of each study, as one text."""
    def column(name: str) -> pd.Series:
        return studies[name].fillna("").astype(str) if name in studies else pd.Series("", index=studies.index)
    keywords = column(col.KEYWORDS).map(lambda cell: " ".join(map(str, loads(cell, []) or [])) if cell else "")
    return column(col.TITLE) + " \n " + column(col.ABSTRACT) + " \n " + keywords


def digest(*parts: pd.Series | str) -> str:
    """SHA-256 of the parts, each value on a line of its own."""
    hashed = hashlib.sha256()
    for part in parts:
        values = [part] if isinstance(part, str) else part.astype(str).tolist()
        for value in values:
            hashed.update(value.replace("\n", " ").encode("utf-8") + b"\n")
    return hashed.hexdigest()


def vectorise(studies: pd.DataFrame, query: str = "") -> Vectors:
    """TF-IDF weights of every study's text (and of the query's words in the same vocabulary),
    studies in the order of their ids."""
    studies = studies.assign(**{col.STUDY_ID: studies[col.STUDY_ID].astype(str)}).sort_values(col.STUDY_ID,
                                                                                             kind="stable")
    ids = studies[col.STUDY_ID]
    text = study_text(studies)
    documents = [*text.tolist(), query]
    try:
        vectoriser = TfidfVectorizer(**VECTORISER)
        matrix = vectoriser.fit_transform(documents).tocsr()
        terms = vectoriser.get_feature_names_out()
    except ValueError:  # no word occurs twice (a tiny or empty review)
        matrix, terms = sparse.csr_matrix((len(documents), 1), dtype=np.float32), np.array([""])
    return Vectors(tuple(ids), matrix[:-1], matrix[-1:], terms, digest(ids, text, query))


def labels_of(decisions: pd.DataFrame) -> pd.Series:
    """1 for a study included (or maybe) at title/abstract, 0 for one excluded, by study id."""
    if decisions.empty:
        return pd.Series(dtype=int)
    decided = decisions[decisions["decision"].isin([*INCLUDED, "exclude"])]
    included = decided["decision"].isin(INCLUDED).astype(int)
    # several reviewers: one include (or maybe) is enough to see the study as an include
    return included.groupby(decided[col.STUDY_ID].astype(str)).max().sort_index()


def scores(vectors: Vectors, labels: pd.Series, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(score of every study, each term's weight, what gave them) from the labelled studies."""
    position = pd.Series(range(len(vectors.study_ids)), index=vectors.study_ids)
    known = labels[labels.index.isin(position.index)]
    rows = position[known.index].to_numpy()
    y = known.to_numpy()
    if y.sum() == 0 or y.sum() == len(y):
        # one kind only: the review's words stand in as an include (beside the includes so far)
        train = sparse.vstack([vectors.matrix[rows], vectors.query]).tocsr()
        y = np.append(y, 1)
    else:
        train = vectors.matrix[rows]
    if y.min() == y.max():
        weights = np.asarray(train.mean(axis=0)).ravel()  # includes only: likeness to them
        return vectors.matrix @ weights, weights, "similarity to the includes and the review's words"
    n, n1 = len(y), int(y.sum())
    weight = {1: INCLUDE_WEIGHT * n / (2 * n1), 0: n / (2 * (n - n1))}
    # only the terms the training studies hold can get a weight: fit on those columns alone (faster)
    used = np.unique(train.indices)
    model = LogisticRegression(random_state=seed, class_weight=weight, **CLASSIFIER).fit(train[:, used], y)
    weights = np.zeros(vectors.matrix.shape[1], dtype=np.float32)
    weights[used] = model.coef_.ravel()
    return vectors.matrix @ weights + model.intercept_[0], weights, f"{MODEL} on {len(known)} decisions"


def _why(vectors: Vectors, weights: np.ndarray, rows: np.ndarray) -> list[str]:
    """The terms that raise each study's score most, strongest first."""
    contribution = vectors.matrix[rows].multiply(weights.reshape(1, -1)).tocsr()
    contribution.eliminate_zeros()
    row_of = np.repeat(np.arange(contribution.shape[0]), np.diff(contribution.indptr))
    positive = contribution.data > 0
    row_of, values, terms = row_of[positive], contribution.data[positive], contribution.indices[positive]
    order = np.lexsort((terms, -values, row_of))  # by row, strongest first, ties by term
    row_of, terms = row_of[order], terms[order]
    first = np.searchsorted(row_of, np.arange(contribution.shape[0]))
    rank_in_row = np.arange(len(row_of)) - first[row_of]
    keep = rank_in_row < WHY_TERMS
    why = [[] for _ in range(contribution.shape[0])]
    for row, term in zip(row_of[keep].tolist(), vectors.terms[terms[keep]].tolist()):
        why[row].append(term)
    return [", ".join(words) for words in why]


def rank(studies: pd.DataFrame, decisions: pd.DataFrame, settings: RankSettings,
         vectors: Vectors | None = None) -> pd.DataFrame:
    """The studies without a title/abstract decision, likeliest include first.

    ``studies``: ``study_id``, ``title``, ``abstract`` and ``keywords`` (a JSON list);
    ``decisions``: ``study_id`` and ``decision`` (include, exclude or maybe) of the title/abstract
    decisions so far. Returns ``study_id``, ``rank`` (1 first), ``score`` and ``why`` (the terms
    that raised the score most).
    """
    return rank_and_log(studies, decisions, settings, vectors)[0]


def rank_and_log(studies: pd.DataFrame, decisions: pd.DataFrame, settings: RankSettings,
                 vectors: Vectors | None = None) -> tuple[pd.DataFrame, dict]:
    """:func:`rank`, and what a reviewer needs to audit that ordering: the model, its parameters,
    the seed and the digests of the studies' text, of the decisions and of the order itself."""
    vectors = vectors or vectorise(studies, settings.query)
    labels = labels_of(decisions)
    score, weights, basis = scores(vectors, labels, settings.seed)
    ids = np.asarray(vectors.study_ids)
    todo = np.flatnonzero(~pd.Index(ids).isin(labels.index))
    order = todo[np.lexsort((ids[todo], -np.round(score[todo], 6)))]
    ranked = pd.DataFrame({col.STUDY_ID: ids[order], "rank": np.arange(1, len(order) + 1),
                           "score": np.round(score[order], 6), "why": _why(vectors, weights, order)},
                          columns=RANKED_COLUMNS)
    audit = {
        "model": MODEL, "basis": basis, "seed": settings.seed,
        "vectoriser": {key: list(value) if isinstance(value, tuple) else getattr(value, "__name__", value)
                       for key, value in VECTORISER.items()},
        "classifier": {**CLASSIFIER, "include_weight": INCLUDE_WEIGHT}, "cold_start_words": settings.query,
        "studies": len(ids), "studies_digest": vectors.digest,
        "decisions": {"include": int(labels.sum()), "exclude": int((labels == 0).sum())},
        "decisions_digest": digest(labels.index.to_series(), labels.astype(str)),
        "ordered": len(ranked), "ordering_digest": digest(ranked[col.STUDY_ID]),
        "first": ranked[col.STUDY_ID].head(10).tolist(),
    }
    return ranked, audit


def order_queue(studies: pd.DataFrame, settings) -> tuple[pd.DataFrame, dict]:
    """The screen stage's ranking: the title/abstract decisions as they stand (a study's settled
    outcome, ``ta_decision``; a study still waiting for a second reviewer or a resolution is not
    learnt from, so no reviewer's order reflects another's open decision) over the studies people
    screen (automation's exclusions left out)."""
    human = studies[studies[col.SCREEN_STAGE] != "automation"].sort_values(col.STUDY_ID, kind="stable")
    decided = human[human["ta_decision"].isin([*INCLUDED, "exclude"])]
    decisions = pd.DataFrame({col.STUDY_ID: decided[col.STUDY_ID], "decision": decided["ta_decision"]})
    return rank_and_log(human, decisions, RankSettings(seed=settings.screening.seed, query=review_words(settings)))
