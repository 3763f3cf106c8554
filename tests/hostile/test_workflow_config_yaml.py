"""Hostile config.yaml: alias bombs, self-referencing aliases and deep nesting stop with one
ERROR line naming config.yaml:line, quickly, instead of hanging or ending in a RecursionError."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline import config
from pipeline.errors import ConfigError

FIXTURE_CONFIG = (Path(__file__).resolve().parents[1] / "fixtures" / "review" / "config.yaml").read_text()
BASE_LINES = FIXTURE_CONFIG.count("\n")


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic bomb, 7 KB as in the attack: each anchor is a list of ``width`` aliases of the one
    before, so the last stands for width**levels strings of 690 characters."""
    lines = ["lol0: &lol0 [" + ", ".join(['"' + "lol" * 230 + '"'] * width) + "]"]
    lines += [f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * width) + "]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


CASES = [
    (billion_laughs(), 1 + 5, "the aliases in this value expand to more than 100,000 values; write the values out, "
                              "or nest fewer aliases inside aliases"),
    ("loop: &loop [1, *loop]\n", 1, "an alias refers to the value that contains it; point the alias at another anchor"),
    ("deep: " + "[" * 5000 + "]" * 5000 + "\n", 1,
     "values nested more than 50 levels deep; a review's config nests a few levels; look for a run of '[' or '{'"),
    ("deep: " + "[" * 60 + "]" * 60 + "\n", 1,
     "values nested more than 50 levels deep; a review's config nests a few levels; look for a run of '[' or '{'"),
]


@pytest.mark.parametrize(("extra", "line", "message"), CASES, ids=["billion-laughs", "self-alias", "deep-5000", "deep-60"])
def test_a_hostile_config_stops_with_its_line_and_without_hanging(extra, line, message):
    text = FIXTURE_CONFIG + extra
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        config.parse(text, file="config.yaml")
    assert caught.value.message == f"config.yaml:{BASE_LINES + line}: {message}"
    assert time.monotonic() - started < 10


def test_ordinary_anchors_and_aliases_still_load():
    text = FIXTURE_CONFIG.replace("figures: {formats: [svg, png]}\nprisma: {formats: [svg, png]}",
                                  "figures: {formats: &formats [svg, png]}\nprisma: {formats: *formats}")
    assert text != FIXTURE_CONFIG
    settings = config.parse(text, file="config.yaml")
    assert settings.prisma_formats == ("svg", "png")


def test_load_or_exit_prints_one_error_line(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(FIXTURE_CONFIG + billion_laughs())
    with pytest.raises(SystemExit) as stopped:
        config.load_or_exit(path)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ERROR: {path}:{BASE_LINES + 6}: the aliases in this value")
