"""When a team may stop title/abstract screening, with a recall target it can state.

Both rules read the decisions in the order they were made and ask, for every stretch ending
now (the records screened after each include found so far, and all of them), how likely so few
includes would be in that stretch if the review's recall were still below the target, that is
if at least ``K`` includes were in the stretch and the records never screened together. The
smallest such probability is the rule's p-value; stopping is allowed when it is below
``1 - confidence``.

``hypergeometric`` is the test of Callaghan and Müller-Hansen (2020): the stretch is treated as a
random draw from itself and the unscreened records (a hypergeometric count). It assumes only that
the ranking finds includes at least as well as drawing at random, and so it asks for long runs
without an include.

``biased_urn`` draws with Wallenius' noncentral hypergeometric distribution instead, in which an
include is ``odds`` times as likely as an exclude to be drawn next. Its assumption is that the
ranking puts a remaining include ahead of a remaining exclude at least that much more often than
chance; with ``odds: 1`` it is the plain test. benchmarks/screening/simulate.py measures the recall
both reach over the labelled reviews, and the work each saves: at the default odds of 1.5 the
target held in every run and about twice the plain test's work was saved; at odds 2 a hard last
include of Antihistamines was missed in every run, so the default stays below that.

The target is met when ``found >= target * total``, so the least total that misses it is
``floor(found / target) + 1``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy.stats import hypergeom, nchypergeom_wallenius

from pipeline import columns as col
from pipeline.config import StoppingSettings
from pipeline.errors import ConfigError

RULES = ("hypergeometric", "biased_urn")
STOPPED_REASON = "stopping_rule"  # the screen reason of the studies a stop leaves unscreened


def rule_name(settings: StoppingSettings) -> str:
    """The rule as the PRISMA flow and the methods text name it."""
    if settings.rule == "hypergeometric":
        return "hypergeometric stopping test of Callaghan and Müller-Hansen (2020)"
    return f"biased-urn stopping test at odds {settings.odds:g} (Wallenius' distribution)"


def least_missing_total(found: int, target: float) -> int:
    """The smallest number of includes in all that would put ``found`` below the recall target."""
    # exact arithmetic: in floating point 19 / 0.95 is not 20
    return math.floor(found / Fraction(str(target))) + 1


def p_value(included: np.ndarray, remaining: int, settings: StoppingSettings) -> float:
    """The rule's p-value after screening ``included`` (True for an include, in screening order)
    with ``remaining`` records still unscreened; 1.0 when nothing argues for stopping yet."""
    included = np.asarray(included, dtype=bool)
    screened, found = len(included), int(included.sum())
    if screened == 0:
        return 1.0
    least = least_missing_total(found, settings.recall_target)
    # the stretch after the j-th include from the end holds j - 1 includes; the whole run all of them
    starts = np.append(np.flatnonzero(included)[::-1] + 1, 0)
    in_stretch = np.arange(found + 1)
    drawn = screened - starts
    population = drawn + remaining
    needed = least - (found - in_stretch)  # includes in the stretch and the rest under the null
    if (needed > population).any():
        return 0.0  # so many includes cannot be left: the target is met
    keep = drawn > 0
    if not keep.any():
        return 1.0
    return float(min(1.0, _tail(in_stretch[keep], population[keep], needed[keep], drawn[keep], settings).min()))


def _tail(k: np.ndarray, population: np.ndarray, needed: np.ndarray, drawn: np.ndarray,
          settings: StoppingSettings) -> np.ndarray:
    """P(at most k includes among ``drawn``) when ``needed`` of ``population`` are includes."""
    if settings.rule == "hypergeometric" or settings.odds == 1.0:
        return hypergeom.cdf(k, population, needed, drawn)
    return nchypergeom_wallenius.cdf(k, population, needed, drawn, settings.odds)


def state(included: np.ndarray, remaining: int, settings: StoppingSettings) -> dict:
    """Whether the rule allows stopping now, with what it rests on (stopping.json)."""
    included = np.asarray(included, dtype=bool)
    p = p_value(included, remaining, settings) if remaining else 0.0
    alpha = 1 - settings.confidence
    allowed = bool(p < alpha)
    found, screened = int(included.sum()), len(included)
    if not remaining:
        message = "every study has a title/abstract decision: nothing is left to stop"
    elif allowed:
        message = (f"stopping is allowed: {found} includes in {screened} screened; recall is at least "
                   f"{settings.recall_target:.0%} with {settings.confidence:.0%} confidence (p = {p:.3g})")
    else:
        message = (f"keep screening: {found} includes in {screened} screened; recall of "
                   f"{settings.recall_target:.0%} is not yet shown with {settings.confidence:.0%} confidence "
                   f"(p = {p:.3g}, needs < {alpha:.3g})")
    return {"allowed": allowed, "rule": settings.rule, "rule_name": rule_name(settings),
            "recall_target": settings.recall_target, "confidence": settings.confidence,
            **({"odds": settings.odds} if settings.rule == "biased_urn" else {}),
            "screened": screened, "remaining": int(remaining), "includes_found": found,
            "p_value": round(p, 6), "stopped": settings.stop and allowed, "message": message}


# --- the screen stage's view: decided studies in the order they were decided ------------------


def screening_order(rows: pd.DataFrame, decided: pd.Series) -> list[str]:
    """Study ids of the ``decided`` studies in the order their first decision was made: by date,
    then file, then line (a reviewer's file grows in the order they screen); a study settled
    with no dated row (a resolution alone) comes last, by id."""
    frame = rows[rows[col.STUDY_ID].isin(decided)].copy() if len(rows) else pd.DataFrame(columns=[col.STUDY_ID])
    if len(frame):
        frame["_line"] = pd.to_numeric(frame["line"], errors="coerce").fillna(0)
        frame = frame.sort_values(["date", "file", "_line", col.STUDY_ID], kind="stable")
    ordered = list(dict.fromkeys(frame[col.STUDY_ID].tolist()))
    seen = set(ordered)
    return ordered + sorted(sid for sid in decided if sid not in seen)


def assess(studies: pd.DataFrame, rows: pd.DataFrame, settings: StoppingSettings) -> tuple[dict, list[str]]:
    """The rule's state over the title/abstract stage and, when the team stops and the rule allows
    it, the studies nobody has screened (they leave the queue for the automation box).

    ``studies``: the screen stage's studies with ``ta_decision``, ``ta_reviewers`` and the screen
    columns; ``rows``: the decision rows attached to studies (``study_id``, ``date``, ``file``, ``line``).
    """
    human = studies[studies[col.SCREEN_STAGE] != "automation"]
    settled = human[human["ta_decision"].isin(["include", "maybe", "exclude"])]
    waiting = human[~human["ta_decision"].isin(["include", "maybe", "exclude"])]
    order = screening_order(rows, settled[col.STUDY_ID])
    included = settled.set_index(col.STUDY_ID)["ta_decision"].isin(["include", "maybe"])
    result = state(included.reindex(order).to_numpy(dtype=bool), len(waiting), settings)
    if not settings.stop:
        return result, []
    if not result["allowed"]:
        raise ConfigError(f"screening.stopping.stop is true but the {rule_name(settings)} does not allow "
                          f"stopping yet ({result['message']})", where="config.yaml",
                          fix="keep screening the title/abstract queue, or set screening.stopping.stop: false")
    untouched = waiting[(waiting["ta_decision"] == "pending") & (waiting["ta_reviewers"] == "")]
    result["stopped_unscreened"] = len(untouched)
    result["message"] = (f"screening stopped by the {rule_name(settings)}: {result['includes_found']} includes in "
                         f"{result['screened']} screened; {len(untouched)} studies left unscreened")
    return result, sorted(untouched[col.STUDY_ID])


def methods_text(stopping: dict) -> str:
    """The methods' sentences on how title/abstract screening was ordered and when it stopped."""
    screened, remaining, found = stopping["screened"], stopping["remaining"], stopping["includes_found"]
    rule = (f"the {stopping['rule_name']} with a recall target of {stopping['recall_target']:.0%} at "
            f"{stopping['confidence']:.0%} confidence")
    ordered = ("The pipeline orders the title/abstract work queue by a model (logistic regression over TF-IDF "
               "weights of title, abstract and keywords) retrained on the decisions so far. ")
    if stopping.get("stopped"):
        return (f"{ordered}Screening stopped early by {rule}, after {screened:,} studies were screened "
                f"({found:,} passed on); the rule allowed stopping at p = {stopping['p_value']:.3g}. The "
                f"{stopping.get('stopped_unscreened', remaining):,} studies left unscreened are counted as marked "
                f"ineligible by automation tools.")
    waiting = f"; {remaining:,} await a decision" if remaining else ""
    return f"{ordered}Screening did not stop early by {rule}: {screened:,} studies were screened{waiting}."
