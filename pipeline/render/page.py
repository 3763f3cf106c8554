"""The report page: ``assets/report.html`` filled with the page's data, its figures, its style and script.

The page's HTML, CSS and JavaScript are files of their own, shipped with the package, so that a linter
reads the script and a browser test loads the page as it is. The template has fixed placeholders,
``{{name}}``, each filled exactly once, in one pass (nothing filled in is searched for placeholders again).
A value is plain text unless it is :class:`Markup`, and plain text is HTML-escaped: markup comes only from
the package's own files, from figures that passed :func:`pipeline.render.svg.inline_svg`, and from JSON
escaped by :func:`script_json`. The page cannot be turned against its reader by what the records hold:

- every piece of record text (titles, abstracts, author names, notes, reasons, labels) travels as
  JSON inside one ``<script type="application/json">`` block, escaped so that no ``</script>`` or
  ``<!--`` can end it, and the page's own script shows it with ``textContent`` only;
- the page's Content-Security-Policy allows no network at all and runs only the page's own script
  (by its SHA-256 hash), so even markup that slipped into a figure could not execute.

The same inputs always give the same bytes (no timestamps, sorted JSON).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any, NamedTuple

from pipeline.render.svg import inline_svg

_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


class Markup(NamedTuple):
    """Text that is already safe to sit in the page as it is (never built from record text unescaped)."""

    text: str


@functools.cache
def asset(name: str) -> str:
    """One of the page's files shipped in ``pipeline/render/assets``."""
    return resources.files("pipeline.render").joinpath("assets", name).read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or
    line separators appear literally, so no text inside it can close or comment out the block."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for character, escaped in _SCRIPT_ESCAPES:
        text = text.replace(character, escaped)
    return text


def fill(template: str, values: Mapping[str, str | Markup]) -> str:
    """``template`` with each ``{{name}}`` replaced by its value: :class:`Markup` as it is, any other
    text HTML-escaped. Every placeholder must appear exactly once and have a value, and every value a
    placeholder; otherwise ValueError (the template and this module disagree: a bug, not bad input)."""
    found = _PLACEHOLDER.findall(template)
    if sorted(found) != sorted(set(found)) or set(found) != set(values):
        raise ValueError(f"page template placeholders {sorted(found)} do not match the values {sorted(values)}")

    def value(match: re.Match[str]) -> str:
        given = values[match.group(1)]
        return given.text if isinstance(given, Markup) else html.escape(given)

    return _PLACEHOLDER.sub(value, template)


def _figure_block(name: str, svg: str) -> str:
    return (f'<figure class="figure" id="figure-{html.escape(name)}" data-figure="{html.escape(name)}">'
            f"{inline_svg(svg, name)}</figure>")


def report_page(data: Any, figures: Mapping[str, str], title: str) -> str:
    """The whole report as one HTML document: ``data`` (JSON-ready) for the page's script, the SVG text of
    ``figures`` by name (checked, then inlined), and ``title`` as plain text."""
    script = "\n" + asset("report.js")  # style and script each start on a line of their own
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = (f"default-src 'none'; script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; "
              "img-src data:; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'")
    figure_blocks = "\n".join(_figure_block(name, figures[name]) for name in sorted(figures))
    return fill(asset("report.html"), {
        "policy": policy,
        "title": title,
        "style": Markup("\n" + asset("report.css")),
        "figures": Markup(figure_blocks),
        "data": Markup(script_json(data)),
        "script": Markup(script),
    })
