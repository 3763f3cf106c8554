"""The screening workbench's server, through HTTP on 127.0.0.1 without a browser: what a reviewer
is shown, what is written to their decision file, and how bad requests are refused."""

from __future__ import annotations

import http.client
import json
import threading
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config import StoppingSettings, load
from pipeline.io import read_table, write_table
from pipeline.prioritise import review_words
from pipeline.screen import validate_decisions
from pipeline.stopping import state
from pipeline.workbench.review import BATCH, STOPPING_KEYS, Review
from pipeline.workbench.server import MAX_BODY, WorkbenchServer

FIXTURE_CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "config.yaml"
TA, FT = "title_abstract", "full_text"
STUDIES = [
    ("s1", "Compassion fatigue in nurses", "Nurses reported secondary traumatic stress.", ["burnout"]),
    ("s2", "Caregiver burden in families", "<script>alert(1)</script> informal caregivers at home", []),
    ("s3", "Secondary trauma among social workers", "", ["secondary traumatisation"]),
]
EXTRA_CONFIG = """
screening: {reviewers: [ann, bob]}
"""


def _queue(stage: str, keys: list[str]) -> pd.DataFrame:
    rows = [{"key": key, "stage": stage, "decision": "", "reason": "", "reviewer": "", "date": "", "note": "",
             "needed": "a decision", "waiting_for": "any reviewer", "decided_by": "zed", "title": title,
             "authors": "Doe, J.", "year": "2012", "journal": "J", "doi": f"10.1000/{key}", "pmid": "",
             "abstract": abstract, "sources": "medline", "records": f"medline:{key}", "record_keys": key}
            for key, title, abstract, _ in STUDIES if key in keys]
    return pd.DataFrame(rows)


def make_review(base: Path, *, reviewers: bool = False) -> Path:
    """A review folder as a pipeline run leaves it, as far as the workbench reads it."""
    base.mkdir(parents=True)
    text = FIXTURE_CONFIG.read_text(encoding="utf-8").replace(
        "{id: exc_informal_caregivers, label: Studies of informal caregivers, kind: exclusion, stage: title_abstract}",
        "{id: exc_informal_caregivers, label: Studies of informal caregivers, kind: exclusion, stage: title_abstract,"
        " terms: [informal caregiver*]}")
    (base / "config.yaml").write_text(text + (EXTRA_CONFIG if reviewers else ""), encoding="utf-8")
    screen = base / "data" / "processed" / "screen"
    write_table(_queue(TA, ["s1", "s2", "s3"]), screen / "to_screen_title_abstract.csv")
    write_table(_queue(FT, ["s1"]), screen / "to_screen_full_text.csv")
    write_table(pd.DataFrame({"study_id": [s[0] for s in STUDIES],
                              "keywords": [json.dumps(s[3]) for s in STUDIES]}), screen / "studies.csv")
    return base


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def call(self, method: str, path: str, body: object = None, headers: dict | None = None, raw: bytes | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {"Content-Type": "application/json"} if data is not None else {}
        connection.request(method, path, body=data, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        kind = response.getheader("Content-Type", "")
        return response.status, (json.loads(payload) if kind.startswith("application/json") else payload)

    def state(self, reviewer: str, stage: str = TA) -> dict:
        status, body = self.call("GET", f"/api/state?reviewer={reviewer}&stage={stage}")
        assert status == 200, body
        return body

    def decide(self, reviewer: str, key: str, decision: str, reason: str = "", note: str = "", stage: str = TA):
        return self.call("POST", "/api/decide", {"reviewer": reviewer, "stage": stage, "key": key,
                                                  "decision": decision, "reason": reason, "note": note})


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(**options) -> tuple[Client, Path]:
        base = make_review(tmp_path / f"review{len(servers)}", **options)
        server = WorkbenchServer(Review(base, load(base / "config.yaml")), 0)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return Client(server.server_address[1]), base

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def queue_order(monkeypatch):
    """The queue's own order, for tests of what the server writes and shows rather than of the order."""
    monkeypatch.setattr(Review, "_ranked", lambda self, reviewer, stage, keys, mine: (keys, "the work queue's order"))


def decisions_file(base: Path, reviewer: str) -> Path:
    return base / "data" / "raw" / "decisions" / "screening" / f"{reviewer}.csv"


def as_the_screen_stage_reads_it(base: Path, reviewer: str) -> pd.DataFrame:
    path = decisions_file(base, reviewer)
    return validate_decisions(read_table(path, line_numbers=True), str(path), load(base / "config.yaml"),
                              reviewer=reviewer)


def test_a_reviewer_screens_the_queue_and_every_decision_is_in_the_file_at_once(serve, queue_order):
    client, base = serve()
    state = client.state("ann")
    assert state["record"]["key"] == "s1" and state["file"] == "ann.csv"
    assert state["progress"] == {"queue": 3, "decided": 0, "todo": 3, "include": 0, "exclude": 0, "maybe": 0,
                                 "order": "the work queue's order"}
    status, answer = client.decide("ann", "s1", "include", note='=HYPERLINK("http://x") <b>fine</b>')
    assert status == 200 and answer["saved"]["how"] == "appended" and answer["record"]["key"] == "s2"
    assert len(as_the_screen_stage_reads_it(base, "ann")) == 1  # on disk before the answer came
    client.decide("ann", "s2", "exclude", "exc_informal_caregivers")
    status, answer = client.decide("ann", "s3", "maybe")
    assert answer["record"] is None and answer["progress"]["todo"] == 0
    rows = as_the_screen_stage_reads_it(base, "ann")
    assert rows[["key", "stage", "decision", "reason", "reviewer"]].values.tolist() == [
        ["s1", TA, "include", "", "ann"], ["s2", TA, "exclude", "exc_informal_caregivers", "ann"],
        ["s3", TA, "maybe", "", "ann"]]
    assert rows["note"].iloc[0] == '=HYPERLINK("http://x") <b>fine</b>'  # restored as typed
    assert "'=HYPERLINK" in decisions_file(base, "ann").read_text()  # never a formula in a spreadsheet


def test_deciding_again_replaces_the_row_and_keeps_the_rest_of_the_file(serve):
    client, base = serve()
    path = decisions_file(base, "ann")
    path.parent.mkdir(parents=True)
    path.write_text("key,stage,decision,reason,reviewer,date,note,title\n"
                    "old1,title_abstract,include,,ann,2024-01-01,by hand,\"A title, with a comma\"\n"
                    "s1,title_abstract,include,,,2024-01-01,,", encoding="utf-8")  # no final line end
    status, answer = client.decide("ann", "s2", "include")
    assert answer["saved"]["how"] == "appended"
    status, answer = client.decide("ann", "s1", "exclude", "exc_informal_caregivers", note="changed\nmy mind")
    assert status == 200 and answer["saved"]["how"] == "replaced"
    rows = as_the_screen_stage_reads_it(base, "ann")
    assert rows[["key", "decision", "note", "title"]].values.tolist() == [
        ["old1", "include", "by hand", "A title, with a comma"], ["s1", "exclude", "changed my mind", ""],
        ["s2", "include", "", ""]]
    assert not list(path.parent.glob(".*.tmp"))


def test_a_file_without_the_optional_columns_gets_them(serve):
    client, base = serve()
    path = decisions_file(base, "ann")
    path.parent.mkdir(parents=True)
    path.write_text("key,stage,decision,reason\ns3,title_abstract,include,\n", encoding="utf-8")
    assert client.decide("ann", "s1", "maybe", note="n")[0] == 200
    assert path.read_text().splitlines()[0] == "key,stage,decision,reason,reviewer,date,note"
    assert as_the_screen_stage_reads_it(base, "ann")[["key", "reviewer"]].values.tolist() == [["s3", "ann"], ["s1", "ann"]]


def test_two_reviewers_are_blind_to_each_other(serve, queue_order):
    client, base = serve(reviewers=True)
    client.decide("ann", "s1", "exclude", "exc_informal_caregivers")
    bob = client.state("bob")
    assert bob["record"]["key"] == "s1" and bob["record"]["mine"] is None and bob["progress"]["decided"] == 0
    assert "ann" not in json.dumps(bob) and "zed" not in json.dumps(bob)  # nor the queue's decided_by
    client.decide("bob", "s1", "include")
    assert as_the_screen_stage_reads_it(base, "ann")["decision"].tolist() == ["exclude"]
    assert as_the_screen_stage_reads_it(base, "bob")["decision"].tolist() == ["include"]
    status, body = client.call("GET", "/api/record?reviewer=bob&stage=title_abstract&key=s1")
    assert body["record"]["mine"]["decision"] == "include"


def test_search_and_criterion_terms_are_highlighted(serve, queue_order):
    client, _ = serve()
    record = client.state("ann")["record"]
    assert record["fields"]["title"] == [["Compassion fatigue", "include"], [" in nurses", ""]]
    assert ["secondary traumatic", "include"] in record["fields"]["abstract"]
    client.decide("ann", "s1", "include")
    second = client.call("GET", "/api/record?reviewer=ann&stage=title_abstract&key=s2")[1]["record"]
    assert second["fields"]["abstract"] == [["<script>alert(1)</script> ", ""], ["informal caregivers", "exclude"],
                                            [" at home", ""]]
    third = client.call("GET", "/api/record?reviewer=ann&stage=title_abstract&key=s3")[1]["record"]
    assert third["keywords"] == [[["secondary traumatisation", "include"]]]  # trauma* truncates


def test_the_stopping_rule_state_is_shown_when_the_run_wrote_one(serve):
    client, base = serve()
    assert client.state("ann")["stopping"] is None
    stopping = state(np.array([True, False]), 2, StoppingSettings(rule="hypergeometric"))  # as the screen stage writes it
    (base / "data/processed/screen/stopping.json").write_text(json.dumps(stopping))
    shown = client.state("ann")["stopping"]
    assert shown == {key: stopping[key] for key in STOPPING_KEYS} and None not in shown.values()
    assert "p_value" in stopping and "p_value" not in shown  # what the page does not show stays out
    (base / "data/processed/screen/stopping.json").write_text("{broken")
    assert "could not be read" in client.state("bob")["stopping"]["message"]


def test_full_text_links_to_the_pdf_and_the_doi(serve):
    client, base = serve()
    (base / "data/raw/fulltext").mkdir(parents=True)
    (base / "data/raw/fulltext/10.1000_s1.pdf").write_bytes(b"%PDF-1.4 test")
    record = client.state("ann", FT)["record"]
    assert record["links"] == [{"label": "PDF: data/raw/fulltext/10.1000_s1.pdf", "href": "/fulltext?key=s1"},
                               {"label": "DOI: 10.1000/s1", "href": "https://doi.org/10.1000/s1"}]
    assert client.call("GET", "/fulltext?key=s1") == (200, b"%PDF-1.4 test")
    assert client.call("GET", "/fulltext?key=s2")[0] == 404
    assert client.decide("ann", "s1", "exclude", "exc_book_not_online", stage=FT)[0] == 200
    assert client.decide("ann", "s2", "exclude", "exc_book_not_online")[0] == 400  # retrieval is a full-text reason


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "says"), [
    ("GET", "/api/state?reviewer=../ann&stage=title_abstract", None, {}, 400, "cannot name a decision file"),
    ("GET", "/api/state?reviewer=CON&stage=title_abstract", None, {}, 400, "cannot name a decision file"),
    ("GET", "/api/state?reviewer=ann&stage=retrieval", None, {}, 400, "is not a screening stage"),
    ("GET", "/api/state?reviewer=eve&stage=title_abstract", None, {}, 400, "not listed in config.yaml"),
    ("GET", "/api/record?reviewer=ann&stage=title_abstract&key=nope", None, {}, 404, "not in the title_abstract"),
    ("POST", "/api/decide", {"reviewer": "ann", "stage": TA, "key": "nope", "decision": "include"}, {}, 404,
     "'nope' is not in the title_abstract work queue"),
    ("POST", "/api/decide", {"reviewer": "ann", "stage": TA, "key": "s1", "decision": "exclude", "reason": "exc_informal"},
     {}, 400, "unknown criterion 'exc_informal'; did you mean 'exc_informal_caregivers'?"),
    ("POST", "/api/decide", {"reviewer": "ann", "stage": TA, "key": "s1", "decision": "exclude"}, {}, 400,
     "an exclusion needs a reason"),
    ("POST", "/api/decide", {"reviewer": "ann", "stage": TA, "key": "s1", "decision": ""}, {}, 400, "is not allowed"),
    ("POST", "/api/decide", {"reviewer": "ann", "stage": TA, "key": "s1", "decision": "include", "note": 3}, {}, 400,
     "must be text"),
    ("POST", "/api/decide", {"reviewer": "ann", "stage": TA, "key": "s1", "decision": "include", "note": "x" * 2001}, {},
     400, "s1: the note has 2001 characters; keep a note to 2000 characters"),
    ("POST", "/api/decide", [1, 2], {}, 400, "must be a JSON object"),
    ("POST", "/api/decide", {"reviewer": "ann"}, {"Content-Type": "text/plain"}, 415, "application/json"),
    ("POST", "/api/decide", None, {"Content-Type": "application/json", "Content-Length": str(MAX_BODY + 1)}, 413,
     "larger than"),
    ("GET", "/api/state?reviewer=ann&stage=title_abstract", None, {"Host": "evil.example:80"}, 403, "answers only"),
    ("GET", "/api/decide", None, {}, 405, "not allowed"),
    ("GET", "/etc/passwd", None, {}, 404, "no such page"),
], ids=["path-in-name", "device-name", "bad-stage", "unlisted-reviewer", "unknown-record", "unknown-study",
        "unknown-criterion", "exclude-without-reason", "empty-decision", "note-not-text", "note-too-long", "body-not-object",
        "not-json", "too-large", "foreign-host", "wrong-method", "unknown-path"])
def test_bad_requests_get_one_json_error(serve, method, path, body, headers, status, says):
    client, base = serve(reviewers=True)
    raw = b"" if body is None and method == "POST" and "Content-Length" in headers else None
    got, answer = client.call(method, path, body, headers, raw=raw) if raw is None else _oversized(client, path, headers)
    assert got == status and says in answer["error"], answer
    assert "Traceback" not in json.dumps(answer)
    assert not decisions_file(base, "ann").exists()


def _oversized(client: Client, path: str, headers: dict):
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10)
    connection.putrequest("POST", path)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()  # the body is never sent: the length alone is refused
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_an_internal_error_is_one_json_line_not_a_traceback(serve, monkeypatch):
    client, _ = serve()
    monkeypatch.setattr(Review, "progress", lambda *args: 1 / 0)
    status, answer = client.call("GET", "/api/state?reviewer=ann&stage=title_abstract")
    assert status == 500 and answer == {"error": "internal error; the server's log says more"}


@pytest.fixture
def prioritise(monkeypatch):
    """The model's ranking replaced by one that records what it was given and reverses the studies."""
    from pipeline import prioritise as module

    recorder = types.SimpleNamespace(calls=[], fail=False)

    def rank_and_log(studies, decisions, settings, vectors=None):
        recorder.calls.append((list(studies["study_id"]), decisions.copy(), settings, studies.copy()))
        if recorder.fail:
            raise ValueError("model broke")
        return pd.DataFrame({"study_id": list(reversed(studies["study_id"]))}), {}

    monkeypatch.setattr(module, "rank_and_log", rank_and_log)
    return recorder


def test_the_queue_is_ordered_by_the_prioritisation_module_on_the_reviewers_own_decisions(serve, prioritise):
    client, base = serve(reviewers=True)
    client.decide("bob", "s2", "exclude", "exc_informal_caregivers")
    state = client.state("ann")
    assert state["record"]["key"] == "s3" and state["progress"]["order"] == "prioritised on your 0 decisions"
    studies, decisions, settings, table = prioritise.calls[-1]
    assert studies == ["s1", "s2", "s3"] and decisions.empty  # bob's decision is not ann's training data
    assert table[["title", "keywords"]].values.tolist()[0] == ["Compassion fatigue in nurses", '["burnout"]']
    assert settings.seed == 0 and settings.query.startswith('"compassion fatigue" OR "secondary trauma"')
    client.decide("ann", "s3", "include")
    assert len(prioritise.calls) == 2  # bob's decision, ann's login; reordered again only after a batch
    for number in range(BATCH - 1):
        client.decide("ann", "s1", "include")  # the same study again: still one decision
    assert len(prioritise.calls) == 2
    # a batch later (here: a file holding BATCH decisions) the queue is ordered again, in the background
    path = decisions_file(base, "ann")
    path.write_text("key,stage,decision,reason,reviewer,date,note\n" +
                    "".join(f"x{number},title_abstract,include,,ann,,\n" for number in range(BATCH)))
    client.state("ann")
    deadline = time.monotonic() + 10
    while len(prioritise.calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(prioritise.calls[-1][1]) == BATCH


def test_the_module_gets_its_own_settings_and_the_reviewers_decisions_by_study_id(serve, prioritise, tmp_path):
    client, base = serve()
    write_table(_queue(TA, ["s2", "s3"]), base / "data/processed/screen/to_screen_title_abstract.csv")
    path = decisions_file(base, "ann")
    path.parent.mkdir(parents=True)
    path.write_text("key,stage,decision,reason,reviewer,date,note\ns1,title_abstract,include,,ann,,\n")
    client.state("ann")
    studies, decisions, settings, table = prioritise.calls[-1]
    assert (settings.seed, settings.query) == (0, review_words(load(base / "config.yaml")))
    assert studies == ["s2", "s3", "s1"]  # s1 left the queue in a run: its text still trains the model
    assert decisions[["study_id", "decision"]].values.tolist() == [["s1", "include"]]


def test_a_failing_prioritisation_falls_back_to_the_queues_order(serve, prioritise):
    prioritise.fail = True
    client, _ = serve()
    state = client.state("ann")
    assert state["record"]["key"] == "s1"
    assert state["progress"]["order"] == "the work queue's order (prioritisation failed: ValueError)"


@pytest.mark.parametrize(("search", "terms"), [
    ('"compassion fatigue" OR "secondary trauma*"', ["compassion fatigue", "secondary trauma*"]),
    ("(burnout[tiab] OR fatigue) AND nurse* NOT TI(review)", ["burnout", "fatigue", "nurse*", "review"]),
    ("(not recorded)", []),
], ids=["phrases", "operators-and-field-tags", "no-search-string"])
def test_the_highlighted_search_terms_come_from_the_search_string(search, terms):
    from pipeline.workbench.review import _search_terms

    settings = load(FIXTURE_CONFIG)
    settings = type(settings)(**{**settings.__dict__, "search": type(settings.search)(string=search)})
    assert _search_terms(settings) == terms


@pytest.mark.parametrize(("name", "allowed"), [
    ("ann", True), ("j.smith", True), ("Ann_B-2", True), ("a", True),
    ("", False), (".hidden", False), ("ann.", False), ("a..b", False), ("ann/../bob", False), ("ann smith", False),
    ("nul", False), ("Com1.txt", False), ("{ann}", False), ("x" * 65, False), ("ann\n", False),
], ids=lambda value: repr(value)[:20])
def test_a_reviewer_name_must_be_a_safe_file_name(name, allowed):
    from pipeline.errors import PipelineError
    from pipeline.workbench.decisions import check_reviewer

    if allowed:
        assert check_reviewer(name) == name
    else:
        with pytest.raises(PipelineError, match="cannot name a decision file"):
            check_reviewer(name)


@pytest.mark.parametrize("content", [b"key,stage,decision\nk\xe9y,title_abstract,include\n", None],
                         ids=["not-utf8", "a-folder"])
def test_an_unreadable_decision_file_is_named_and_left_alone(serve, content):
    client, base = serve()
    path = decisions_file(base, "ann")
    path.parent.mkdir(parents=True)
    path.write_bytes(content) if content is not None else path.mkdir()
    status, answer = client.call("GET", "/api/state?reviewer=ann&stage=title_abstract")
    assert status == 400 and answer["error"].startswith(f"{path}: cannot read the decision file")
    assert client.decide("ann", "s1", "include")[0] == 400
    assert path.read_bytes() == content if content is not None else path.is_dir()


def test_a_queue_a_run_removed_meanwhile_is_one_error(serve):
    client, base = serve()
    (base / "data/processed/screen/to_screen_title_abstract.csv").unlink()
    status, answer = client.call("GET", "/api/state?reviewer=ann&stage=title_abstract")
    assert status == 400 and "the work queue is gone; run the review again" in answer["error"]


def test_the_real_model_orders_the_queue_and_vectorises_its_studies_once(serve, monkeypatch):
    from pipeline import prioritise as real

    made = []
    vectorise = real.vectorise
    monkeypatch.setattr(real, "vectorise", lambda studies, query="": made.append(len(studies)) or vectorise(studies, query))
    client, base = serve(reviewers=True)
    state = client.state("ann")
    assert state["progress"]["order"] == "prioritised on your 0 decisions" and state["record"]["key"] in {"s1", "s2", "s3"}
    path = decisions_file(base, "ann")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("key,stage,decision,reason,reviewer,date,note\n" +
                    "".join(f"x{number},title_abstract,include,,ann,,\n" for number in range(BATCH)))
    client.state("ann")
    deadline = time.monotonic() + 10
    while not client.state("ann")["progress"]["order"].endswith(f"{BATCH} decisions") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.state("ann")["progress"]["order"] == f"prioritised on your {BATCH} decisions"
    assert made == [3]  # the same three studies: their vectors are kept between orderings
    logged = [json.loads(line) for line in (base / "data/raw/decisions/screening/orderings/ann.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert [entry["decisions"] for entry in logged] == [{"include": 0, "exclude": 0}, {"include": BATCH, "exclude": 0}]
    assert {entry["reviewer"] for entry in logged} == {"ann"} and {entry["seed"] for entry in logged} == {0}
    assert all(entry["model"] and entry["studies_digest"] and entry["ordering_digest"] for entry in logged)
