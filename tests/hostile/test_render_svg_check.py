"""Attack: the report's check of the figures it inlines.

Before, the check searched the SVG's whole text, so a harmless bar labelled "online = yes" or
"javascript:alert(1)" (the label travels in an SVG comment) made the report refuse the figure, and
regenerating could not help. Now the figure is read as XML: words in text and comments are text, and
what could run or fetch (script, event handlers, links out, HTML an HTML parser would break out to,
XML that an HTML parser reads differently) is refused with one line naming file, line and what.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import figures
from pipeline.config import Hierarchy, Level, TableSpec
from pipeline.errors import PipelineError
from pipeline.render.svg import inline_svg, svg_refusal

HARMLESS = ["online = yes", "javascript:alert(1)", "onload=alert(1)", "<script>alert(1)</script>",
            "href=http://evil.example/", "url(http://evil.example/x)", "@import url(x.css)", "<!-- --> ]]>"]
HIERARCHY = Hierarchy(levels=(Level("best", "Best Practice"),), designs=(), precedence=("design",))


@pytest.fixture(scope="module")
def chart_svg(tmp_path_factory) -> str:
    table = pd.DataFrame({"Country": [*HARMLESS, "Total"], "Best Practice": ["1"] * len(HARMLESS) + ["8"],
                          "Total": ["1"] * len(HARMLESS) + ["8"]}, dtype=str)
    figure = figures.dimension_chart(table, TableSpec("t", "javascript: online = yes", "country", "Country"),
                                     HIERARCHY)
    [path] = figures.save(figure, tmp_path_factory.mktemp("svg") / "chart", ("svg",))
    return path.read_text(encoding="utf-8")


def test_a_harmless_figure_with_script_like_words_in_its_text_is_embedded(chart_svg):
    body = inline_svg(chart_svg, "chart")
    assert body.startswith("<svg")
    for label in HARMLESS:  # each label is still there, as matplotlib's comment (escaped) before its glyphs
        escaped = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("--", "- -")
        assert f"<!-- {escaped} -->" in body, label


DANGEROUS = {
    "script element": ("<defs>", "<script>alert(1)</script><defs>", "element <script>"),
    "script element, other case": ("<defs>", "<SCRIPT>alert(1)</SCRIPT><defs>", "element <SCRIPT>"),
    "prefixed script": ("<defs>", '<x:script xmlns:x="http://www.w3.org/2000/svg">alert(1)</x:script><defs>',
                        "element <x:script>"),
    "onload attribute": ('<g id="figure_1">', '<g id="figure_1" onload="alert(1)">',
                         "event-handler attribute onload='alert(1)'"),
    "event handler on the root": ("<svg ", '<svg onLoad="alert(1)" ', "event-handler attribute onLoad="),
    "javascript: href": ("<defs>", '<defs><a xlink:href="javascript:alert(1)"><rect/></a>', "element <a>"),
    "javascript: href on use": ("<defs>", '<defs><use xlink:href="javascript:alert(1)"/>',
                                "link xlink:href='javascript:alert(1)' out of the figure"),
    "javascript: href, spaced": ("<defs>", '<defs><use href=" &#10;javascript:alert(1)"/>',
                                 "out of the figure"),
    "external use": ("<defs>", '<defs><use xlink:href="http://evil.example/x.svg#a"/>',
                     "link xlink:href='http://evil.example/x.svg#a' out of the figure"),
    "data: use": ("<defs>", '<defs><use href="data:image/svg+xml,&lt;svg/&gt;"/>', "out of the figure"),
    "foreignObject": ("<defs>", "<foreignObject><div/></foreignObject><defs>", "element <foreignObject>"),
    "iframe": ("<defs>", '<iframe src="http://evil.example/"/><defs>', "element <iframe>"),
    "HTML breakout": ("<defs>", '<img src="x" onerror="alert(1)"/><defs>', "element <img>"),
    "meta refresh": ("<defs>", '<meta http-equiv="refresh" content="0;url=http://evil.example/"/><defs>',
                     "element <meta>"),
    "animation setting href": ("<defs>", '<set attributeName="href" to="javascript:alert(1)"/><defs>',
                               "element <set>"),
    "external image": ("<defs>", '<image href="http://evil.example/x.png"/><defs>', "element <image>"),
    "css import": ("<defs>", "<defs><style>@import url(http://evil.example/x.css);</style>",
                   "style sheet reference"),
    "css url": ('style="fill: #ffffff"', 'style="fill: url(http://evil.example/x#p)"', "reference style="),
    "processing instruction": ("<defs>", '<?x a="><img src=x onerror=alert(1)>"?><defs>',
                               "processing instruction <?x"),
    "comment with markup": ("<defs>", "<!-- <img src=x onerror=alert(1)> --><defs>",
                            "a comment holding '<' or '>'"),
    "CDATA": ("<defs>", "<style><![CDATA[ x ]]></style><defs>", "a CDATA section"),
    "entity declaration": ('"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">',
                           '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [<!ENTITY a "x">]>',
                           "figure is not an SVG document"),  # its prolog is not matplotlib's; svg_refusal below
    "not well-formed": ("</defs>", "</def>", "not well-formed XML"),
}


@pytest.mark.parametrize(("old", "new", "what"), DANGEROUS.values(), ids=DANGEROUS.keys())
def test_a_dangerous_svg_is_refused_with_one_line(chart_svg, old, new, what):
    assert old in chart_svg
    svg = chart_svg.replace(old, new, 1)
    with pytest.raises(PipelineError) as raised:
        inline_svg(svg, "chart")
    message = raised.value.message
    assert what in message and "\n" not in message
    assert raised.value.where.startswith("figures/chart.svg")
    assert message.endswith("regenerate the figures with the figures and prisma stages")


def test_an_entity_bomb_is_refused_before_it_expands():
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 12))
    svg = f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY l0 "ha">{laughs}]><svg>&l11;</svg>'
    assert svg_refusal(svg) == (1, "a document type with declarations of its own")


def test_the_line_of_the_refusal_is_the_line_in_the_file(chart_svg):
    lines = chart_svg.splitlines()
    at = next(n for n, text in enumerate(lines, start=1) if "<defs>" in text)
    svg = chart_svg.replace("<defs>", "<script/><defs>", 1)
    assert svg_refusal(svg) == (at, "element <script>")
