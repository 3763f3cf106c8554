"""The check a figure passes before its SVG markup sits inside the report page.

matplotlib writes the figures, but their text comes from records and config.yaml, and a figure file
could have been edited or swapped since. :func:`svg_refusal` reads the figure as XML and finds no
element but drawing ones (no script, foreign object, HTML), no event handler and no link or reference
out of the figure; the text drawn is never searched for words. :func:`inline_svg` then strips the
prolog and metadata and gives the element ids a per-figure prefix so that figures cannot clash with
each other inside one page.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from pipeline.errors import PipelineError

# The SVG check reads the figure as XML and allows only what matplotlib writes: drawing elements, and the
# metadata block's rdf:/cc:/dc: elements (names that no HTML parser gives a meaning). Text and comments
# are never searched for words: a label "online = yes" or "javascript:" is just text.
_SVG_ELEMENTS = frozenset({"svg", "g", "defs", "path", "use", "clipPath", "rect", "circle", "ellipse", "line",
                           "polyline", "polygon", "text", "tspan", "style", "metadata", "title", "desc",
                           "linearGradient", "radialGradient", "stop", "pattern", "mask", "symbol", "marker"})
_SVG_METADATA_PREFIXES = ("rdf:", "cc:", "dc:")
_SVG_LINK_ATTRIBUTES = frozenset({"href", "src"})
_SVG_OUTSIDE_URL = re.compile(r"url\(\s*(?![\"']?\s*#)|@import", re.IGNORECASE)
_SVG_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_REFERENCE = re.compile(r'(href="#|url\(#)([^")]+)')
_FIGURE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def svg_refusal(svg: str) -> tuple[int, str] | None:
    """``(line, what)`` for the first thing in ``svg`` that could run code or fetch something once the
    markup sits in the page, or None when there is none.

    Refused: elements other than drawing and metadata ones (so ``script``, ``foreignObject``, ``iframe``,
    animation, and any HTML element), event-handler attributes (``on...``), ``href``/``src`` that do not
    point inside the figure (``javascript:``, ``http:``, ``data:``), ``url(...)`` or ``@import`` reaching
    outside it, and the XML that an HTML parser reads differently from an XML parser: processing
    instructions, CDATA sections, entity declarations and comments holding ``<`` or ``>``. A figure that
    is not well-formed XML is refused too."""
    parser = expat.ParserCreate()
    parser.buffer_text = True  # a style sheet's text arrives in one piece
    open_styles = [0]

    def refuse(what: str) -> None:
        raise _Refused(parser.CurrentLineNumber, what)  # stops the parse: nothing after it is expanded

    def start(name: str, attributes: dict[str, str]) -> None:
        if name not in _SVG_ELEMENTS and not name.startswith(_SVG_METADATA_PREFIXES):
            refuse(f"element <{name}>")
        open_styles[0] += name == "style"
        for attribute, value in attributes.items():
            local = attribute.rpartition(":")[2].lower()
            if local.startswith("on"):
                refuse(f"event-handler attribute {attribute}={value!r}")
            elif local in _SVG_LINK_ATTRIBUTES and not value.strip().startswith("#"):
                refuse(f"link {attribute}={value!r} out of the figure")
            elif _SVG_OUTSIDE_URL.search(value):
                refuse(f"reference {attribute}={value!r} out of the figure")

    def end(name: str) -> None:
        open_styles[0] -= name == "style"

    def characters(data: str) -> None:
        if open_styles[0] and _SVG_OUTSIDE_URL.search(data):
            refuse(f"style sheet reference {data.strip()!r} out of the figure")

    def comment(data: str) -> None:
        if "<" in data or ">" in data:
            refuse("a comment holding '<' or '>'")

    def doctype(name: str, system_id: str | None, public_id: str | None, internal_subset: bool) -> None:
        if internal_subset:
            refuse("a document type with declarations of its own")

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler, parser.CommentHandler = characters, comment
    parser.StartDoctypeDeclHandler = doctype
    parser.ProcessingInstructionHandler = lambda target, data: refuse(f"processing instruction <?{target}")
    parser.StartCdataSectionHandler = lambda: refuse("a CDATA section")
    parser.EntityDeclHandler = lambda name, *rest: refuse(f"entity declaration {name!r}")
    parser.SkippedEntityHandler = lambda name, is_parameter: refuse(f"entity reference &{name};")
    try:
        parser.Parse(svg, True)
    except _Refused as refused:
        return refused.args
    except expat.ExpatError as error:
        return error.lineno, f"markup that is not well-formed XML: {expat.ErrorString(error.code)}"
    return None


class _Refused(Exception):
    """Raised from inside the XML parser's handlers by :func:`svg_refusal`: (line, what)."""


def inline_svg(svg: str, name: str) -> str:
    """A matplotlib SVG ready to sit inside the page: prolog and metadata removed, ids prefixed.

    Raises :class:`PipelineError` when the SVG holds anything active (script, event handler,
    foreign object, link out of the document)."""
    if not _FIGURE_NAME.match(name):
        raise PipelineError(f"figure name '{name}' has characters other than letters, digits, '_', '.', '-'",
                            where=f"figures/{name}.svg", fix="rename the figure file")
    if not _SVG_PROLOG.sub("", svg, count=1).lstrip().startswith("<svg"):
        raise PipelineError("figure is not an SVG document", where=f"figures/{name}.svg",
                            fix="regenerate the figures with the figures and prisma stages")
    refusal = svg_refusal(svg)
    if refusal:
        line, what = refusal
        raise PipelineError(f"figure holds active or external content ({what}), which the report refuses to "
                            "inline", where=f"figures/{name}.svg:{line}",
                            fix="regenerate the figures with the figures and prisma stages")
    body = _SVG_METADATA.sub("", _SVG_PROLOG.sub("", svg, count=1))
    prefix = f"fig-{name.replace('.', '-')}-"
    body = _SVG_ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', body)
    body = _SVG_REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", body)
    return body.strip()
