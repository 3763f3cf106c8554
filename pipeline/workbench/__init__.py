"""The screening workbench: a local web page where a reviewer screens one study at a time.

``python -m pipeline workbench --review DIR`` (or ``python3 review.py workbench DIR``) serves the
review in DIR on http://127.0.0.1:PORT/ only; nothing leaves the machine. A reviewer logs in by
name and stage, sees the next study of the screen stage's work queue with the search's and the
criteria's terms highlighted, and decides it; each decision is in their own decision file
(``data/raw/decisions/screening/<name>.csv``, see :mod:`pipeline.workbench.decisions`) before the
page moves on, so the server can be killed at any moment, and the next pipeline run reads the
decisions as it reads hand-written ones.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.config import load
from pipeline.errors import PipelineError

log = logging.getLogger(__name__)


def serve(base: Path, config: Path, port: int = 8765, open_browser: bool = False) -> None:
    """Serve the review in ``base``, described by ``config`` (a path in it), until interrupted."""
    from pipeline.workbench.review import Review
    from pipeline.workbench.server import WorkbenchServer

    base = Path(base)
    if not config.is_file():
        raise PipelineError(f"no {config.name} in this folder", where=str(base),
                            fix="name the folder of a review (python3 review.py workbench DIR)")
    review = Review(base, load(config))
    try:
        server = WorkbenchServer(review, port)
    except OSError as exc:
        raise PipelineError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})", where="--port",
                            fix="another program uses the port: pick another with --port N (0 picks a free one)") from None
    log.info("workbench: screening %s at %s ; Ctrl-C stops it (every decision is saved as it is made)",
             base.resolve(), server.url)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log.info("workbench: stopped")
    finally:
        server.server_close()
