"""What every figure shares: the style it is drawn in, text drawn as written, and the one way it is saved.

Every figure is built with matplotlib's object-oriented API (``matplotlib.figure.Figure``; pyplot's
global figure manager is never touched) under :data:`STYLE`. :func:`save` is the one function that
writes figure files, and it writes byte-identical files on every run: no dates, no software versions,
fixed SVG id salt.

Labels come from config.yaml and from extracted values, so every text is drawn as the characters it
holds: a ``$`` is a dollar sign, never the start of mathtext (``"$\\x$"`` would otherwise stop the stage
and ``"cost $5 to $10"`` come out in italics), and TeX is never run. :data:`STYLE` says so for every
text made while a figure is built or saved, and :func:`save` sets it on every text of the figure it
writes, whoever built it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.text import Text

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

# Applied while a figure is built and while it is saved, so a user's matplotlibrc changes nothing.
STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "svg.hashsalt": "evidence-pipeline",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "savefig.dpi": 200,
    "savefig.facecolor": "white",
    "text.parse_math": False,
    "text.usetex": False,
}

# Metadata that would change between runs or between matplotlib versions, blanked per format.
SAVE_METADATA: dict[str, dict[str, None]] = {
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def plain_text(figure: Figure) -> Figure:
    """Every text of ``figure`` drawn as its characters: no mathtext, no TeX."""
    for text in figure.findobj(Text):
        text.set_parse_math(False)
        text.set_usetex(False)
    return figure


def save(figure: Figure, stem: Path, formats: tuple[str, ...]) -> list[Path]:
    """Write ``figure`` as ``<stem>.<format>`` for each format; identical bytes on every run."""
    unknown = [fmt for fmt in formats if fmt not in SAVE_METADATA]
    if unknown:
        raise ConfigError(f"figure format(s) {', '.join(map(repr, unknown))} not supported",
                            where="config.yaml (figures.formats or prisma.formats)",
                            fix=f"use any of: {', '.join(sorted(SAVE_METADATA))}")
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    plain_text(figure)
    written = []
    for fmt in formats:
        path = stem.parent / f"{stem.name}.{fmt}"
        with matplotlib.rc_context(STYLE):
            figure.savefig(path, format=fmt, metadata=SAVE_METADATA[fmt])
        written.append(path)
    log.debug("wrote %s", ", ".join(str(p) for p in written))
    return written
