"""Attack: record text in the Markdown outputs (tables.md, reconcile.md).

Before, reconcile.md escaped only pipes, so ``<img src=x onerror=...>`` from a title or an author
reached it as raw HTML, while tables.md wrote the same text as entities. Every Markdown output now
goes through pipeline.markdown. Each output here is rendered with cmark-gfm (the renderer GitHub
uses, via cmarkgfm) with raw HTML allowed, the most a renderer would let through, and read back: the
only elements are the writer's own (table, list, heading, paragraph), and each cell or line shows
exactly the text that went in.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from pipeline import markdown, reconcile, tables
from pipeline.config import TableSpec

cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (the test extra) renders the Markdown")
from cmarkgfm.cmark import Options  # noqa: E402

PAYLOADS = [
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</td></tr></table><b>out</b>",
    "a | b || c", "back\\slash \\| \\\\ \\* end\\",
    "# heading", "## two", "- item", "+ item", "* item", "> quote", "=", "===", "---", "___", "***",
    "1. one", "2) two", "*em* _em_ __strong__ **strong**", "`code` ``x``", "```fence", "~~~fence",
    "[link](javascript:alert(1))", "![img](x.png)", "[ref]: /url", "[1]", "~~strike~~ ~one~",
    "&lt;entity&gt; &amp; &#60; &#x3C; AT&T &copy", "line\nbreak\r\nmore\rend", "cost $5 to $10", "$\\x$",
    "$$x$$", "<!-- comment -->", "<?php echo 1; ?>", "<![CDATA[x]]>", "    indented code",
    "level_best snake_case_id _lead trail_ a_*b*_c", "=HYPERLINK(\"http\")", "-2+3", "@SUM(1)",
]
TABLE_TAGS = {"table", "thead", "tbody", "tr", "th", "td"}


class Rendered(HTMLParser):
    """The elements of rendered HTML and the text of each block (cell, paragraph, list item, heading)."""

    BLOCKS = {"td", "th", "p", "li", "h1", "h2"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.blocks: list[str] = []
        self.open = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.BLOCKS:
            self.blocks.append("")
            self.open = True

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.open = False

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        if self.open:
            self.blocks[-1] += data

    def handle_comment(self, data):
        self.tags.append("<!--")

    def handle_pi(self, data):
        self.tags.append("<?")

    def unknown_decl(self, data):
        self.tags.append("<!")


def render(text: str) -> Rendered:
    return Rendered(cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE))


def shown(payload: str, *, at_edge: bool = True) -> str:
    """What a reader sees: line breaks are spaces, and a cell or paragraph has no outer blanks."""
    text = re.sub(r"\r\n|\r|\n", " ", payload)
    return text.strip(" \t") if at_edge else text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_table_cell_shows_its_text(payload):
    page = render("\n".join(markdown.table(["name", payload], [[payload, "1"], ["x", payload]])) + "\n")
    assert set(page.tags) == TABLE_TAGS
    assert page.blocks == [shown("name"), shown(payload), shown(payload), "1", "x", shown(payload)]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_line_shows_its_text(payload):
    page = render(f"# Title\n\n{markdown.line(payload)}\n\nafter\n")
    assert page.tags == ["h1", "p", "p"]
    assert page.blocks == ["Title", shown(payload), "after"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_inside_a_list_item_shows_as_text(payload):
    page = render(f"- [1] {markdown.inline(payload)}\n")
    assert page.tags == ["ul", "li"]
    assert page.blocks == [f"[1] {shown(payload, at_edge=False)}".rstrip()]


def test_words_joined_by_underscores_are_written_unchanged():
    """Keeps the shipped outputs' bytes: an underscore inside a word cannot start emphasis."""
    assert markdown.inline("level_emerging records_identified not_reproduced") == \
        "level_emerging records_identified not_reproduced"
    assert markdown.inline("Mosek & Gilboa (2016)") == "Mosek & Gilboa (2016)"


def test_tables_md_shows_hostile_labels_and_title_as_text():
    spec = TableSpec("t", "<img src=x onerror=alert('title')> | # Title", "country", "Country <b>")
    table = pd.DataFrame({"Country <b>": [*PAYLOADS, "Total"], "Best": list(range(len(PAYLOADS) + 1))})
    page = render(tables.to_markdown(table, spec, footnote="- <script>alert('note')</script>"))
    assert set(page.tags) == TABLE_TAGS | {"p"}
    assert page.blocks[0] == f"Table: {spec.title}"
    assert page.blocks[-1] == "- <script>alert('note')</script>"
    cells = page.blocks[1:-1]
    assert cells[:2] == ["Country <b>", "Best"]
    assert cells[2::2] == [shown(p) for p in PAYLOADS] + ["Total"]


def reconciled(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{column: "" for column in reconcile.RECONCILE_COLUMNS} | row for row in rows],
                        columns=reconcile.RECONCILE_COLUMNS, dtype=str)


def test_reconcile_md_shows_hostile_titles_authors_and_reasons_as_text():
    author = "<img src=x onerror=alert(1)> Eve"
    rows = [{"kind": "study_level", "table": "levels", "row": f"doi:{n}", "column": "level", "published": "best",
             "reproduced": "promising", "difference": "", "status": "differs",
             "reason": f"study s{n} ({author} 2015): rule 'design' gives {payload}"} for n, payload in enumerate(PAYLOADS)]
    repeated = "<script>alert('repeated')</script> | [x](javascript:alert(1))"
    rows += [{"kind": "table_cell", "table": "t", "row": row, "column": "Best", "published": "1", "reproduced": "2",
              "difference": "1", "status": "differs", "reason": repeated} for row in ("<b>USA</b>", "# Canada")]
    page = render(reconcile.to_markdown(reconciled(rows), reconcile.arithmetic({})))
    assert set(page.tags) <= TABLE_TAGS | {"h1", "h2", "p", "ul", "li"}
    for n, payload in enumerate(PAYLOADS):
        assert f"study s{n} ({author} 2015): rule 'design' gives {shown(payload, at_edge=False)}".rstrip() in page.blocks
    assert page.blocks.count("see [1]") == 2  # the writer's own reference, still Markdown
    assert f"[1] {repeated}" in page.blocks and "<b>USA</b>" in page.blocks and "# Canada" in page.blocks
