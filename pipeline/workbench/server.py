"""The workbench's web server: the page, a small JSON API, bound to 127.0.0.1 only.

Routes (every answer JSON except the page, its two files and a PDF):

* ``GET /``, ``/workbench.js``, ``/workbench.css``: the page (pipeline/render/assets/).
* ``GET /api/state?reviewer=&stage=``: logging in: the criteria, progress, the stopping rule's
  state and the next study.
* ``GET /api/record?reviewer=&stage=&key=``: one study with the reviewer's own decision on it.
* ``POST /api/decide`` (JSON ``reviewer, stage, key, decision, reason, note``): checks the decision
  as the screen stage will, writes it to the reviewer's file, and answers with the next study
  only once it is on disk.
* ``GET /fulltext?key=``: the study's PDF from data/raw/fulltext.

A bad request gets ``{"error": "..."}`` with a 4xx status, never a traceback. Requests must name
this server as their host (so a web page elsewhere cannot reach it through a rebound DNS name),
a decision must be posted as JSON (which a page of another origin cannot send without asking
first) and its body is at most :data:`MAX_BODY` bytes.
"""

from __future__ import annotations

import json
import logging
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pipeline import folder as layout
from pipeline.errors import PipelineError
from pipeline.render.page import asset
from pipeline.workbench.decisions import DecisionFile, check_reviewer
from pipeline.workbench.review import Review, UnknownStudy

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 16 * 1024
MAX_PDF = 512 * 1024 * 1024
PAGES = {"/": ("workbench.html", "text/html"), "/workbench.js": ("workbench.js", "text/javascript"),
         "/workbench.css": ("workbench.css", "text/css")}
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class RequestError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(BaseHTTPRequestHandler):
    server: "WorkbenchServer"
    server_version = "evidence-pipeline-workbench"
    sys_version = ""
    timeout = 30  # a client that stops sending mid-request frees its thread

    # --- plumbing -------------------------------------------------------------------------------

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        log.debug("workbench: %s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (a malformed request line, a header too long) as JSON too."""
        self.close_connection = True
        self._answer(code, {"error": message or HTTPStatus(code).phrase})

    def _answer(self, status: int, body: dict | bytes, kind: str = "application/json", extra: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": kind if kind == "application/pdf" else f"{kind}; charset=utf-8",
                   "Content-Length": str(len(data)), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer", "Content-Security-Policy": POLICY, **(extra or {})}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _check_host(self) -> None:
        port = self.server.server_address[1]
        if self.headers.get("Host", "") not in (f"{HOST}:{port}", f"localhost:{port}"):
            raise RequestError(HTTPStatus.FORBIDDEN, f"this workbench answers only to http://{HOST}:{port}/")

    def _query(self) -> dict[str, str]:
        try:
            found = parse_qs(urlsplit(self.path).query, strict_parsing=False, max_num_fields=8)
        except ValueError:
            raise RequestError(HTTPStatus.BAD_REQUEST, "too many query parameters") from None
        return {name: values[-1] for name, values in found.items()}

    def _body(self) -> dict:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise RequestError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the decision as application/json")
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            raise RequestError(HTTPStatus.LENGTH_REQUIRED, "a Content-Length is needed")
        if int(length) > MAX_BODY:
            self.close_connection = True
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the request is larger than {MAX_BODY} bytes")
        try:
            found = json.loads(self.rfile.read(int(length)).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RequestError(HTTPStatus.BAD_REQUEST, "the body is not JSON text") from None
        if not isinstance(found, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return found

    def _handle(self, route) -> None:
        try:
            self._check_host()
            route()
        except RequestError as exc:
            self._answer(exc.status, {"error": exc.message})
        except PipelineError as exc:
            status = HTTPStatus.NOT_FOUND if isinstance(exc, UnknownStudy) else HTTPStatus.BAD_REQUEST
            self._answer(status, {"error": exc.message})
        except Exception as exc:  # a bug: one line in the server's log, the details at debug level
            log.error("workbench: internal error answering %s %s (%s: %s); this is a bug, please report it",
                      self.command, urlsplit(self.path).path, type(exc).__name__, exc)
            log.debug("%s", traceback.format_exc())
            self._answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error; the server's log says more"})

    # --- routes ---------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        path = urlsplit(self.path).path
        routes = {"/api/state": self._state, "/api/record": self._record, "/fulltext": self._pdf}
        if path in PAGES:
            self._handle(lambda: self._page(path))
        elif path in routes:
            self._handle(routes[path])
        elif path == "/api/decide":
            self._handle(self._method_not_allowed)
        else:
            self._handle(self._not_found)

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        self._handle(self._decide if path == "/api/decide" else
                     self._method_not_allowed if path in PAGES or path.startswith("/api/") else self._not_found)

    def _not_found(self) -> None:
        raise RequestError(HTTPStatus.NOT_FOUND, f"no such page: {urlsplit(self.path).path}")

    def _method_not_allowed(self) -> None:
        raise RequestError(HTTPStatus.METHOD_NOT_ALLOWED, f"{self.command} is not allowed here")

    def _page(self, path: str) -> None:
        name, kind = PAGES[path]
        self._answer(HTTPStatus.OK, asset(name).encode("utf-8"), kind)

    def _who(self, values: dict) -> tuple[str, str, DecisionFile]:
        reviewer = check_reviewer(values.get("reviewer", ""))
        listed = self.server.review.settings.screening.reviewers
        if listed and reviewer not in listed:
            raise PipelineError(f"reviewer '{reviewer}' is not listed in config.yaml screening.reviewers",
                                where="login", fix=f"log in as one of: {', '.join(listed)}")
        stage = self.server.review.check_stage(values.get("stage"))
        return reviewer, stage, DecisionFile(self.server.decisions, reviewer)

    def _view(self, reviewer: str, stage: str, mine: dict, skip: str = "") -> dict:
        review = self.server.review
        key = review.next_key(reviewer, stage, mine, skip)
        return {"record": review.record(key, stage, mine.get(key)) if key else None,
                "progress": review.progress(reviewer, stage, mine), "stopping": review.stopping()}

    def _state(self) -> None:
        reviewer, stage, decisions = self._who(self._query())
        view = self._view(reviewer, stage, decisions.decided(stage))
        self._answer(HTTPStatus.OK, {"reviewer": reviewer, "stage": stage, "file": decisions.path.name,
                                     "criteria": self.server.review.criteria(stage), **view})

    def _record(self) -> None:
        values = self._query()
        reviewer, stage, decisions = self._who(values)
        mine = decisions.decided(stage)
        key = values.get("key", "")
        self._answer(HTTPStatus.OK, {"record": self.server.review.record(key, stage, mine.get(key)),
                                     "progress": self.server.review.progress(reviewer, stage, mine)})

    def _decide(self) -> None:
        body = self._body()
        reviewer, stage, decisions = self._who(body)
        decision, how = self.server.review.decide(self.server.decisions, reviewer, stage, body)
        # what was decided stays out of the log: the terminal may be in view of another reviewer
        log.info("workbench: %s decided %s at %s (%s %s)", reviewer, decision.key, stage, how, decisions.path.name)
        saved = {"key": decision.key, "decision": decision.decision, "reason": decision.reason, "how": how}
        self._answer(HTTPStatus.OK, {"saved": saved, **self._view(reviewer, stage, decisions.decided(stage), skip=decision.key)})

    def _pdf(self) -> None:
        path = self.server.review.pdf(self._query().get("key", ""))
        if path.stat().st_size > MAX_PDF:
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{path.name} is larger than {MAX_PDF} bytes")
        self._answer(HTTPStatus.OK, path.read_bytes(), "application/pdf",
                     {"Content-Disposition": "inline", "Content-Security-Policy": "sandbox"})


class WorkbenchServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 16

    def __init__(self, review: Review, port: int) -> None:
        self.review = review
        self.decisions = review.base / layout.SCREENING
        super().__init__((HOST, port), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"
