"""Unit tests for pipeline.render.page: the page template, its shipped files, and the lint of its script."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from pipeline.render.page import Markup, asset, fill

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "pipeline" / "render" / "assets"
PINNED_ESLINT = REPO / ".ci" / "eslint" / "node_modules" / ".bin" / "eslint"


def test_plain_text_is_escaped_and_markup_is_kept():
    page = fill('<title>{{title}}</title><p title="{{note}}">{{body}}</p>',
                {"title": "<script>alert(1)</script>", "note": 'a" onmouseover="x', "body": Markup("<b>ok</b>")})
    assert page == ('<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>'
                    '<p title="a&quot; onmouseover=&quot;x"><b>ok</b></p>')


def test_a_filled_value_is_never_searched_for_placeholders():
    page = fill("{{title}}|{{data}}", {"title": "{{data}}", "data": Markup("[1]")})
    assert page == "{{data}}|[1]"


@pytest.mark.parametrize(("template", "values"), [
    ("{{a}}", {"a": "x", "b": "y"}),
    ("{{a}}{{b}}", {"a": "x"}),
    ("{{a}}{{a}}", {"a": "x"}),
], ids=["value-without-placeholder", "placeholder-without-value", "placeholder-twice"])
def test_template_and_values_must_match_one_for_one(template, values):
    with pytest.raises(ValueError, match="do not match"):
        fill(template, values)


def test_the_shipped_template_has_each_placeholder_once():
    found = re.findall(r"\{\{([a-z_]+)\}\}", asset("report.html"))
    assert sorted(found) == ["data", "figures", "policy", "script", "style", "title"]


def test_the_shipped_script_and_style_cannot_end_their_element():
    assert not re.search(r"</script|<!--", asset("report.js"), re.IGNORECASE)
    assert not re.search(r"</style|<!--", asset("report.css"), re.IGNORECASE)


def test_every_page_file_is_package_data():
    """A non-editable install ships what pyproject's package-data names; every page file must match."""
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["pipeline"]
    files = sorted(path.relative_to(REPO / "pipeline").as_posix() for path in ASSETS.iterdir())
    assert files == ["render/assets/report.css", "render/assets/report.html", "render/assets/report.js",
                     "render/assets/workbench.css", "render/assets/workbench.html", "render/assets/workbench.js"]
    assert [name for name in files if not any(fnmatch.fnmatch(name, glob) for glob in globs)] == []


def _eslint() -> str:
    """The pinned ESLint when installed (the one CI runs), else one on PATH."""
    found = str(PINNED_ESLINT) if PINNED_ESLINT.exists() else shutil.which("eslint")
    if not found:
        pytest.skip("ESLint is not installed; CI installs the pinned one (npm ci --prefix .ci/eslint)")
    return found


def _lint(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([_eslint(), "--config", "eslint.config.mjs", "--max-warnings", "0", *arguments],
                          cwd=REPO, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", ["report.js", "workbench.js"])
def test_the_page_script_passes_eslint(script):
    result = _lint(f"pipeline/render/assets/{script}")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("line", "rule"), [
    ("document.body.innerHTML = location.hash;", "no-restricted-properties"),
    ("document.body.insertAdjacentHTML('beforeend', location.hash);", "no-restricted-properties"),
    ("document.write(location.hash);", "no-restricted-properties"),
    ("document.body.setAttribute('onclick', location.hash);", "no-restricted-syntax"),
    ("eval(location.hash);", "no-eval"),
    ("missing.textContent = '';", "no-undef"),
], ids=["innerHTML", "insertAdjacentHTML", "document-write", "event-handler", "eval", "undefined-name"])
def test_eslint_refuses_markup_from_data_in_the_page_script(line, rule):
    """The lint applies to the page's files (a config that matched nothing would pass everything)."""
    script = f'(function () {{\n"use strict";\n{line}\n}})();\n'
    result = _lint("--stdin", "--stdin-filename", "pipeline/render/assets/report.js", stdin=script)
    assert result.returncode == 1 and rule in result.stdout, result.stdout + result.stderr
