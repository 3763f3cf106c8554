"""What the workbench knows of a review: its work queues, its records, highlights, order and progress.

The studies to screen are the rows of the screen stage's work queues
(``data/processed/screen/to_screen_<stage>.csv``, re-read when a pipeline run rewrites them),
with the keywords from ``studies.csv``. A reviewer sees the queue's studies they have not yet
decided in their own decision file; what other reviewers decided is never read (blinding), and
neither is the queue's ``decided_by`` column.

Order. At title/abstract the studies are ordered by ``pipeline.prioritise.rank_and_log(studies,
decisions, settings, vectors)``, trained on the reviewer's own decisions only (so the order
cannot leak another reviewer's judgement), again after every :data:`BATCH` decisions, in the
background; the studies' TF-IDF vectors are made once per queue and kept between batches (a
reorder of 10,000 studies then takes a fraction of a second). When the model fails the queue's
order is kept and the page says so. Every ordering's audit record (model, seed, digests of the
studies, the decisions and the order) is appended to the reviewer's ordering log beside the
decision files. Full text keeps the queue's order.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import threading
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from pipeline import columns as col
from pipeline import folder as layout
from pipeline import prioritise
from pipeline.config import Settings
from pipeline.errors import DecisionError, PipelineError
from pipeline.io import loads, read_table
from pipeline.screen import DECISIONS, HUMAN_STAGES, validate_decisions
from pipeline.workbench.decisions import COLUMNS, MAX_NOTE, Decision, DecisionFile, one_line

log = logging.getLogger(__name__)

BATCH = 10  # decisions between two orderings of a reviewer's queue
QUEUE = "data/processed/screen/to_screen_{stage}.csv"
STUDIES = "data/processed/screen/studies.csv"
STOPPING = "data/processed/screen/stopping.json"
# what the page shows of the screen stage's stopping.json (pipeline.stopping.state writes these keys)
STOPPING_KEYS = ("allowed", "rule_name", "recall_target", "confidence", "screened", "remaining", "includes_found",
                 "message")
FULLTEXT = "data/raw/fulltext"  # PDFs named after the study id, its DOI or its PMID
FIELDS = (col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL, col.DOI, col.PMID, col.ABSTRACT, "sources", "records")
NOT_RECORDED = "(not recorded)"  # the schema's default search string
_OPERATORS = {"and", "or", "not", "near", "adj", "with", "same"}
_DOI = re.compile(r"10\.\d{4,9}/\S+")


def _search_terms(settings: Settings) -> list[str]:
    """The search's terms: its concepts, else the phrases and words of its string."""
    if settings.search.concepts:
        return [term for group in settings.search.concepts for term in group]
    text = "" if settings.search.string.strip() == NOT_RECORDED else settings.search.string
    text = re.sub(r"\[[^\]]*\]", " ", text)  # field tags such as [tiab]
    terms = []
    for phrase, word in re.findall(r'"([^"]+)"|([^\s()"]+)', text):
        term = phrase or word
        if term.lower() not in _OPERATORS and not re.fullmatch(r"[A-Z]{2}[=(]?|\W*", term):
            terms.append(term.strip(",;"))
    return [term for term in terms if term]


def _term_pattern(term: str) -> str:
    """A term as a regular expression on the record's own text: whole words, case ignored; a
    multi-word term is a phrase; a trailing '*' truncates."""
    words = term.strip().strip('"').rstrip("*").split()
    body = r"\s+".join(re.escape(word) for word in words)
    return rf"(?<![^\W_]){body}" + (r"\w*" if term.strip().strip('"').endswith("*") else r"(?![^\W_])")


def highlighter(settings: Settings) -> re.Pattern[str] | None:
    """One pattern whose group ``include`` matches the search's and the inclusion criteria's terms
    and group ``exclude`` the exclusion criteria's; None when there are no terms."""
    include = _search_terms(settings) + [t for c in settings.criteria if c.kind == "inclusion" for t in c.terms]
    exclude = [t for c in settings.criteria if c.kind == "exclusion" for t in c.terms]
    groups = []
    for name, terms in (("include", include), ("exclude", exclude)):
        patterns = [_term_pattern(t) for t in sorted(set(terms), key=lambda t: (-len(t), t)) if t.strip('"* ')]
        if patterns:
            groups.append(f"(?P<{name}>{'|'.join(patterns)})")
    return re.compile("|".join(groups), re.IGNORECASE) if groups else None


def segments(text: str, pattern: re.Pattern[str] | None) -> list[list[str]]:
    """``text`` cut into ``[piece, kind]`` pairs, kind "" or the highlighted term's group."""
    out, start = [], 0
    for found in pattern.finditer(text) if pattern is not None and text else ():
        if found.end() == found.start():
            continue
        if found.start() > start:
            out.append([text[start:found.start()], ""])
        out.append([found.group(), found.lastgroup or ""])
        start = found.end()
    if start < len(text) or not out:
        out.append([text[start:], ""])
    return out


def _safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


class UnknownStudy(PipelineError):
    """A request names a study (or a PDF) the workbench does not offer."""


def unknown_study(key: str, stage: str) -> UnknownStudy:
    return UnknownStudy(f"study {key!r} is not in the {stage} work queue", where="request",
                        fix="pick a study the workbench offered; run the review again if the queue changed")


class Review:
    """A review folder as the workbench serves it; safe to share between the server's threads."""

    def __init__(self, base: Path, settings: Settings) -> None:
        self.base = Path(base)
        self.settings = settings
        self.pattern = highlighter(settings)
        self.lock = threading.Lock()
        self._tables: dict[str, tuple[tuple[int, int], object]] = {}
        # (reviewer, stage) -> (decisions it was made on, keys in order, how, the queue table it ordered)
        self._orders: dict[tuple[str, str], tuple[int, list[str], str, pd.DataFrame]] = {}
        self._ranking: set[tuple[str, str]] = set()  # orderings being made in the background
        self._vectors: dict[str, tuple[tuple[str, ...], object]] = {}  # stage -> (study ids, their vectors)
        for stage in HUMAN_STAGES:
            if not (self.base / QUEUE.format(stage=stage)).is_file():
                raise PipelineError("no work queue yet", where=str(self.base / QUEUE.format(stage=stage)),
                                    fix=f"run the review first: python3 review.py run {self.base}")

    # --- the run's tables, re-read when a run rewrites them -------------------------------------

    def _cached(self, relative: str, build):
        path = self.base / relative
        try:
            stat = path.stat()
        except FileNotFoundError:
            return build(None)
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self.lock:
            cached = self._tables.get(relative)
            if cached is None or cached[0] != stamp:
                cached = (stamp, build(path))
                self._tables[relative] = cached
        return cached[1]

    def queue(self, stage: str) -> pd.DataFrame:
        """The stage's work queue, one row per study key, in the file's order."""
        def build(path):
            if path is None:
                raise PipelineError("the work queue is gone", where=QUEUE.format(stage=stage),
                                    fix=f"run the review again (python3 review.py run {self.base}), then reload the page")
            return read_table(path, required=("key",), what="work queue").drop_duplicates("key").set_index("key", drop=False)
        return self._cached(QUEUE.format(stage=stage), build)

    def studies(self) -> pd.DataFrame:
        """Title, abstract and keywords (a JSON list) of every study of the last run, by study id."""
        wanted = [col.STUDY_ID, col.TITLE, col.ABSTRACT, col.KEYWORDS]

        def build(path):
            table = read_table(path, what="screened studies") if path is not None else pd.DataFrame(columns=wanted)
            return table.reindex(columns=wanted, fill_value="").drop_duplicates(col.STUDY_ID).set_index(col.STUDY_ID)
        return self._cached(STUDIES, build)

    def stopping(self) -> dict | None:
        """The stopping rule's state from the last pipeline run, when the run wrote one."""
        def build(path):
            if path is None:
                return None
            try:
                found = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                return {"message": f"{STOPPING} could not be read ({exc}); run the review again"}
            return {key: found.get(key) for key in STOPPING_KEYS} if isinstance(found, dict) else None
        return self._cached(STOPPING, build)

    # --- what a reviewer sees -------------------------------------------------------------------

    def criteria(self, stage: str) -> list[dict[str, str]]:
        """The criteria a reviewer may give at ``stage`` (exclusion reasons first, in config order)."""
        usable = [c for c in self.settings.criteria if c.stage != "automation"
                  and (c.stage != "retrieval" or stage == col.ScreenStage.FULL_TEXT.value)]
        return [{"id": c.id, "label": c.label, "kind": c.kind} for c in sorted(usable, key=lambda c: c.kind != "exclusion")]

    def check_stage(self, stage: object) -> str:
        if stage not in HUMAN_STAGES:
            raise PipelineError(f"stage {stage!r} is not a screening stage", where="request",
                                fix=f"use one of: {', '.join(HUMAN_STAGES)}")
        return str(stage)

    def record(self, key: str, stage: str, mine: dict[str, str] | None = None) -> dict:
        queue = self.queue(stage)
        if key not in queue.index:
            raise unknown_study(key, stage)
        row = queue.loc[key]
        shown = {name: str(row.get(name, "") or "") for name in FIELDS}
        studies = self.studies()
        keywords = [str(word) for word in loads(studies.at[key, col.KEYWORDS], []) or []] if key in studies.index else []
        return {
            "key": key,
            "fields": {name: segments(shown[name], self.pattern) if name in (col.TITLE, col.ABSTRACT) else shown[name]
                       for name in FIELDS},
            "keywords": [segments(word, self.pattern) for word in keywords],
            "links": self._links(key, shown[col.DOI], shown[col.PMID]) if stage == "full_text" else [],
            "mine": {name: mine.get(name, "") for name in ("decision", "reason", "note")} if mine else None,
        }

    def _links(self, key: str, dois: str, pmids: str) -> list[dict[str, str]]:
        links = [{"label": f"PDF: {path.relative_to(self.base).as_posix()}", "href": f"/fulltext?key={quote(key, safe='')}"}
                 for path in self.fulltext(key, dois, pmids)[:1]]
        for doi in (part.strip() for part in dois.split(";")):
            if _DOI.fullmatch(doi):
                links.append({"label": f"DOI: {doi}", "href": "https://doi.org/" + quote(doi, safe="/:;()._-")})
        return links

    def fulltext(self, key: str, dois: str = "", pmids: str = "") -> list[Path]:
        """PDFs in data/raw/fulltext named after the study's id, a DOI or a PMID of its records."""
        folder = self.base / FULLTEXT
        stems = [_safe_stem(name.strip()) for name in (key, *dois.split(";"), *pmids.split(";")) if name.strip()]
        return [folder / f"{stem.strip('_')}.pdf" for stem in stems if (folder / f"{stem.strip('_')}.pdf").is_file()]

    def pdf(self, key: str) -> Path:
        queue = self.queue(col.ScreenStage.FULL_TEXT.value)
        if key not in queue.index:
            raise unknown_study(key, col.ScreenStage.FULL_TEXT.value)
        row = queue.loc[key]
        found = self.fulltext(key, str(row.get(col.DOI, "")), str(row.get(col.PMID, "")))
        if not found:
            raise UnknownStudy(f"no PDF for study {key!r}", where=FULLTEXT,
                                fix=f"save it as {FULLTEXT}/{_safe_stem(key)}.pdf")
        return found[0]

    # --- order and progress ---------------------------------------------------------------------

    def order(self, reviewer: str, stage: str, mine: dict[str, dict[str, str]]) -> tuple[list[str], str]:
        """The queue's keys in the order to show them, and how that order was made. The first
        ordering of a reviewer's queue is made at once; a new one, after a batch of decisions, in
        the background while the page goes on in the current order."""
        queue = self.queue(stage)
        keys = queue["key"].tolist()
        if stage != col.ScreenStage.TITLE_ABSTRACT.value:
            return keys, "the work queue's order"
        slot = (reviewer, stage)
        cached = self._orders.get(slot)
        current = cached is not None and cached[3] is queue  # no run has rewritten the queue since
        if current and len(mine) < cached[0] + BATCH:
            return cached[1], cached[2]
        if current:
            self._reorder_later(slot, keys, dict(mine), queue)
            return cached[1], cached[2]
        ranked, made = self._ranked(reviewer, stage, keys, mine)
        self._orders[slot] = (len(mine), ranked, made, queue)
        return ranked, made

    def _reorder_later(self, slot: tuple[str, str], keys: list[str], mine: dict, queue: pd.DataFrame) -> None:
        with self.lock:
            if slot in self._ranking:
                return
            self._ranking.add(slot)

        def work() -> None:
            try:
                ranked, made = self._ranked(*slot, keys, mine)
                self._orders[slot] = (len(mine), ranked, made, queue)
            finally:
                with self.lock:
                    self._ranking.discard(slot)

        threading.Thread(target=work, name=f"workbench-order-{slot[0]}", daemon=True).start()

    def _rank_input(self, stage: str, mine: dict[str, dict[str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The studies to rank (the queue's, and those the reviewer decided, whose text the model
        learns from) and the reviewer's decisions, both keyed by ``study_id``."""
        queue, known = self.queue(stage), self.studies()
        text = [col.TITLE, col.ABSTRACT, col.KEYWORDS]
        ids = list(dict.fromkeys([*queue["key"], *(key for key in mine if key in known.index)]))
        studies = known.reindex(ids)[text].fillna("")
        missing = studies.index.isin(queue.index) & (studies[col.TITLE] == "")
        for name in (col.TITLE, col.ABSTRACT):  # the queue's text where the studies table lacks it
            studies.loc[missing, name] = queue.reindex(studies.index[missing])[name].fillna("").to_numpy()
        decisions = pd.DataFrame(list(mine.values()), columns=COLUMNS)
        return (studies.rename_axis(col.STUDY_ID).reset_index().assign(key=lambda t: t[col.STUDY_ID]),
                decisions.assign(study_id=decisions["key"]))

    def _rank(self, reviewer: str, stage: str, studies: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
        """The model's order, with the studies' vectors made once for the same studies (their text
        comes from the queue and the studies table, which only a run rewrites), each ordering's
        audit record appended to the reviewer's ordering log (:meth:`orderings_file`)."""
        settings = prioritise.RankSettings(seed=self.settings.screening.seed,
                                           query=prioritise.review_words(self.settings))
        ids = tuple(sorted(studies[col.STUDY_ID].astype(str)))
        kept = self._vectors.get(stage)
        if kept is None or kept[0] != ids:
            kept = self._vectors[stage] = (ids, prioritise.vectorise(studies, settings.query))
        ranked, audit = prioritise.rank_and_log(studies, decisions, settings, kept[1])
        made = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        line = json.dumps({"made": made, "reviewer": reviewer, "stage": stage, **audit}, sort_keys=True)
        path = self.orderings_file(reviewer)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return ranked

    def orderings_file(self, reviewer: str) -> Path:
        """Where the workbench logs every ordering it made for ``reviewer``: one JSON object per line
        (when, the model, its parameters and seed, the digests of the studies' text, of the decisions
        and of the order, and the first ten studies). Beside the decision files, which it never mixes
        with: the screen stage reads only ``*.csv`` there."""
        return self.base / layout.SCREENING / "orderings" / f"{reviewer}.jsonl"

    def _ranked(self, reviewer: str, stage: str, keys: list[str],
                mine: dict[str, dict[str, str]]) -> tuple[list[str], str]:
        studies, decisions = self._rank_input(stage, mine)
        try:
            ranked = self._rank(reviewer, stage, studies, decisions)
            waiting = set(keys)
            ordered = [key for key in dict.fromkeys(ranked[col.STUDY_ID].astype(str)) if key in waiting]
        except Exception as exc:  # a model's failure must not stop screening
            log.warning("workbench: prioritisation failed (%s: %s); the queue's order is used", type(exc).__name__, exc)
            return keys, f"the work queue's order (prioritisation failed: {type(exc).__name__})"
        placed = set(ordered)
        log.info("workbench: ordered %d studies at %s by %s on %d of the reviewer's decisions; first: %s", len(keys),
                 stage, prioritise.MODEL, len(mine), ", ".join(ordered[:3]))
        return ordered + [key for key in keys if key not in placed], f"prioritised on your {len(mine)} decisions"

    def next_key(self, reviewer: str, stage: str, mine: dict[str, dict[str, str]], skip: str = "") -> str | None:
        keys, _ = self.order(reviewer, stage, mine)
        todo = [key for key in keys if key not in mine]
        if stage == col.ScreenStage.FULL_TEXT.value:  # a 'maybe' at full text decides nothing yet
            todo += [key for key in keys if mine.get(key, {}).get("decision") == "maybe"]
        return next((key for key in todo if key != skip), None)

    def progress(self, reviewer: str, stage: str, mine: dict[str, dict[str, str]]) -> dict:
        keys = self.queue(stage)["key"].tolist()
        decided = [mine[key]["decision"] for key in keys if key in mine]
        _, made = self.order(reviewer, stage, mine)
        return {"queue": len(keys), "decided": len(decided), "todo": len(keys) - len(decided),
                **{name: decided.count(name) for name in ("include", "exclude", "maybe")}, "order": made}

    # --- deciding -------------------------------------------------------------------------------

    def decide(self, files: Path, reviewer: str, stage: str, request: dict) -> tuple[Decision, str]:
        """Check one decision as the screen stage will, then write it; returns it and how it was written."""
        key = request.get("key")
        if not isinstance(key, str) or not key:
            raise PipelineError("no study key", where="request", fix="send the key of the study decided")
        decision_file = DecisionFile(files, reviewer)
        if key not in self.queue(stage).index and key not in decision_file.decided(stage):
            raise unknown_study(key, stage)
        texts = {name: request.get(name, "") for name in ("decision", "reason", "note")}
        if not all(isinstance(value, str) for value in texts.values()):
            raise PipelineError("decision, reason and note must be text", where="request", fix="send strings")
        if len(texts["note"]) > MAX_NOTE:
            raise PipelineError(f"the note has {len(texts['note'])} characters", where=key,
                                fix=f"keep a note to {MAX_NOTE} characters")
        decision = Decision(key=key, stage=stage, decision=texts["decision"].strip(), reason=texts["reason"].strip(),
                            reviewer=reviewer, date=datetime.date.today().isoformat(), note=one_line(texts["note"]))
        if decision.decision not in DECISIONS:
            raise PipelineError(f"decision {decision.decision!r} is not allowed", where=key,
                                fix=f"use one of: {', '.join(DECISIONS)}")
        row = pd.DataFrame([{name: getattr(decision, name) for name in COLUMNS}], columns=COLUMNS)
        try:
            validate_decisions(row, f"{layout.SCREENING}/{reviewer}.csv", self.settings, reviewer=reviewer)
        except DecisionError as exc:  # the stage's own rules; the row is not in the file yet, so no line
            raise PipelineError(exc.what, where=key, fix=exc.fix) from None
        return decision, decision_file.save(decision)
