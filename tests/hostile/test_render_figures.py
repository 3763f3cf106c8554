"""Attack: text with dollar signs, backslashes and script-like words in every label matplotlib draws.

Before, ``$\\x$`` in an extracted value (a bar label) or in a source name (the PRISMA diagram) stopped
the stage with matplotlib's "Unknown symbol" (an internal error, so no report), and "cost $5 to $10"
was drawn as mathtext in italics. Each figure is rendered to SVG here and read back: matplotlib
(``svg.fonttype: path``) writes each text as a comment, then one ``<use>`` per glyph, so the glyphs
that follow the comment say how the text was drawn (mathtext would draw no '$' and italic glyphs). The same SVG then goes through the report's check.
"""

from __future__ import annotations

import re

import matplotlib
import pandas as pd
import pytest
from matplotlib import font_manager, ft2font

from pipeline import figures, prisma
from pipeline.columns import (DEDUP_COLUMNS, PRISMA_BOX, RECORD_COLUMNS, RECORD_ID, SCREEN_COLUMNS, SCREEN_DECISION,
                              SOURCE, STUDY_ID)
from pipeline.config import Hierarchy, Level, SearchSettings, Settings, Source, TableSpec
from pipeline.render.svg import inline_svg, svg_refusal

MATH = "$\\x$"
DOLLARS = "cost $5 to $10"
HOSTILE_LABELS = [MATH, DOLLARS, "online = yes", "javascript:alert(1)", "a \\frac{1}{2} ^_ % & # {braces}",
                  "<script>alert(1)</script>", "$$ $ \\$"]
LEVELS = (Level("best", "Best $1 Practice"), Level("emerging", MATH))
HIERARCHY = Hierarchy(levels=LEVELS, designs=(), precedence=("design",))

def glyph_ids(character: str) -> set[str]:
    """The ids matplotlib gives ``character``'s glyph in an SVG, in DejaVu Sans and its bold face: the font's
    name and the glyph's index (hex)."""
    ids = set()
    for weight in ("normal", "bold"):
        font = ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight=weight)))
        ids.add(f"#{font.postscript_name}-{font.get_char_index(ord(character)):x}")
    return ids


DOLLAR_GLYPHS = glyph_ids("$")


def dollars_drawn(glyphs: list[str]) -> int:
    return sum(glyph in DOLLAR_GLYPHS for glyph in glyphs)


def glyphs_after(svg: str, text: str) -> list[str]:
    """Glyph ids drawn for ``text``: the <use> references between its comment and the next comment."""
    comment = f"<!-- {text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')} -->"
    start = svg.index(comment)
    end = svg.find("<!--", start + len(comment))
    return re.findall(r'xlink:href="(#[^"]+)"', svg[start:end if end >= 0 else len(svg)])


def saved_svg(figure, tmp_path, name: str) -> str:
    [path] = figures.save(figure, tmp_path / name, ("svg",))
    return path.read_text(encoding="utf-8")


def chart(labels: list[str]) -> pd.DataFrame:
    rows = {"Label": [*labels, "Total"], "Best $1 Practice": ["1"] * len(labels) + [str(len(labels))],
            MATH: ["0"] * (len(labels) + 1)}
    return pd.DataFrame(rows, dtype=str)


def test_bar_labels_legend_and_title_are_drawn_as_written(tmp_path):
    spec = TableSpec("hostile", f"Title {MATH} and {DOLLARS}", "country", "Label")
    svg = saved_svg(figures.dimension_chart(chart(HOSTILE_LABELS), spec, HIERARCHY), tmp_path, "hostile")
    for label in [*HOSTILE_LABELS, spec.title, "Best $1 Practice"]:
        drawn = glyphs_after(svg, label)
        assert dollars_drawn(drawn) == label.count("$"), label
        assert not [glyph for glyph in drawn if "Oblique" in glyph or "Cmmi" in glyph or "STIX" in glyph], label
    assert svg_refusal(svg) is None
    assert inline_svg(svg, "hostile").startswith("<svg")


def test_pyramid_levels_are_drawn_as_written(tmp_path):
    studies = pd.DataFrame({"study_id": ["s1", "s2"], "evidence_level": ["best", "emerging"]}, dtype=str)
    svg = saved_svg(figures.pyramid(studies, HIERARCHY), tmp_path, "pyramid")
    assert dollars_drawn(glyphs_after(svg, MATH)) == 2  # each line of a text has its own comment
    assert svg_refusal(svg) is None


def prisma_settings(name: str) -> Settings:
    return Settings(review_id="hostile", title="t", search=SearchSettings(string="x"),
                    sources=(Source(id="alpha", name=name, path="alpha.ris"),), criteria=(),
                    hierarchy=Hierarchy(levels=(), designs=(), precedence=()))


def prisma_records() -> pd.DataFrame:
    columns = RECORD_COLUMNS + DEDUP_COLUMNS + SCREEN_COLUMNS
    rows = [{column: "" for column in columns} | {RECORD_ID: f"alpha:{n}", SOURCE: "alpha", PRISMA_BOX: box,
                                                   STUDY_ID: f"s{n}", SCREEN_DECISION: decision}
            for n, (box, decision) in enumerate([("included", "include"), ("duplicate", "")], start=1)]
    return pd.DataFrame(rows, columns=columns, dtype=str)


@pytest.mark.parametrize("name", [MATH, DOLLARS, "online = yes javascript:alert(1)"])
def test_prisma_source_names_are_drawn_as_written(tmp_path, name):
    settings = prisma_settings(name)
    svg = saved_svg(prisma.diagram(prisma.count(prisma_records(), settings), settings), tmp_path, "prisma_flow")
    comment = next(found for found in re.findall(r"<!-- (.*?) -->", svg, re.DOTALL) if name in found)
    drawn = glyphs_after(svg, comment)
    assert dollars_drawn(drawn) == comment.count("$")
    assert not [glyph for glyph in drawn if "Oblique" in glyph]
    assert svg_refusal(svg) is None


def test_a_users_matplotlibrc_cannot_turn_mathtext_or_tex_back_on(tmp_path):
    """The diagram is built outside the figure style; a global rc asking for TeX (not installed here) and
    mathtext would make it fail or draw math, unless save() makes every text plain."""
    settings = prisma_settings(MATH)
    with matplotlib.rc_context({"text.usetex": True, "text.parse_math": True}):
        figure = prisma.diagram(prisma.count(prisma_records(), settings), settings)
        svg = saved_svg(figure, tmp_path, "prisma_flow")
    assert all(not text.get_usetex() and not text.get_parse_math() for text in figure.findobj(matplotlib.text.Text))
    assert MATH in svg


def test_the_figures_command_finishes_on_a_dollar_label(tmp_path):
    """The stage as the Snakefile runs it: before, exit 1 with "internal error in stage 'figures'"."""
    import subprocess
    import sys

    config = tmp_path / "config.yaml"
    config.write_text(
        "review: {id: hostile, title: t}\n"
        "search: {string: x}\n"
        "sources: [{id: a, name: A, path: a.ris}]\n"
        "criteria: [{id: inc, label: inc, kind: inclusion, stage: full_text}]\n"
        "hierarchy:\n  levels: [{id: best, label: Best}]\n  designs: [{id: rct, label: RCT, level: best}]\n"
        "  precedence: [design]\n"
        "tables: [{id: t, title: T, field: country, label: Country}]\n"
        "figures: {formats: [svg]}\n", encoding="utf-8")
    (tmp_path / "studies.csv").write_text("study_id,evidence_level\ns1,best\n", encoding="utf-8")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "t.csv").write_text(f'Country,Best,Total\n"{MATH}",1,1\nTotal,1,1\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pipeline", "figures", "--config", str(config), "--classified",
                             str(tmp_path / "studies.csv"), "--tables", str(tmp_path / "tables" / "t.csv"),
                             "--output-pyramid", str(tmp_path / "figures" / "evidence_pyramid.svg"),
                             "--output-charts", str(tmp_path / "figures" / "t.svg")],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert dollars_drawn(glyphs_after((tmp_path / "figures" / "t.svg").read_text(encoding="utf-8"), MATH)) == 2
