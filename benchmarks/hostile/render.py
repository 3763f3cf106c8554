"""Hostile text in the outputs: run each case on a checkout of the code and record what happened.

Each case is the hostile fixture review (tests/fixtures/hostile) with one kind of text planted in it,
run end to end with Snakemake under ``/usr/bin/time -v``: exit status, the ERROR line (or the last
line of Snakemake's message), wall time and peak memory of the whole run, and what the outputs show.

    python benchmarks/hostile/render.py --code /path/to/checkout --work /tmp/render-cases > results.json

``--code`` is the folder holding the Snakefile and the ``pipeline`` package to run (this repository by
default), so the same cases run on an older commit checked out elsewhere. Measured, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "hostile"
DOLLARS = "cost $5 to $10"
MATH = r"$\x$"
DANGEROUS_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                 'onload="alert(1)"><script>alert(2)</script><a xlink:href="javascript:alert(3)">'
                 '<text>x</text></a></svg>')
LEVELS = ("key,level,line,citation\n"
          "doi:10.1234/hostile.1,promising,1,\n"
          "doi:10.1234/unknown,best,2,\"<img src=x onerror=alert('cite')> *Journal* # 1. | x\"\n")
COUNTRY_TABLE = ("Country of Study,Best Practice,Promising Practice,Emerging Practice,Contraindicated Practice,Total\n"
                 "<b>USA</b>,1,0,0,0,1\n"
                 "Total,1,0,0,0,1\n")


def _extraction_row(review: Path, value: str) -> None:
    """The first study's country becomes ``value`` (so a table row label, a bar label, a report cell)."""
    path = review / "data/raw/extraction.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("doi:10.1234/hostile.2,country,")]
    lines.append(f'doi:10.1234/hostile.2,country,"{value}",abstract,,eve,')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _source_name(review: Path, name: str) -> None:
    path = review / "config.yaml"
    text = path.read_text(encoding="utf-8").replace("name: Scopus,", f"name: '{name}',")
    path.write_text(text, encoding="utf-8")


def _published(review: Path) -> None:
    folder = review / "data/raw/published"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "levels.csv").write_text(LEVELS, encoding="utf-8")
    (folder / "table3_country.csv").write_text(COUNTRY_TABLE, encoding="utf-8")


CASES = {
    "markdown_html": ("titles, authors and a citation with HTML reach reconcile.md", _published),
    "math_in_value": (f"extraction value {MATH}", lambda review: _extraction_row(review, MATH)),
    "math_in_source_name": (f"source name {MATH}", lambda review: _source_name(review, MATH)),
    "dollars_in_value": (f"extraction value '{DOLLARS}'", lambda review: _extraction_row(review, DOLLARS)),
    "online_equals_in_value": ("extraction value 'online = yes'", lambda review: _extraction_row(review, "online = yes")),
    "javascript_in_value": ("extraction value 'javascript:alert(1)'",
                            lambda review: _extraction_row(review, "javascript:alert(1)")),
}


def _environment(code: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{code}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    started = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-v", *command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=1200)
    wall = time.monotonic() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    errors = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("ERROR")]
    return {"command": " ".join(["python", *command[1:]]), "exit": result.returncode, "wall_s": round(wall, 1),
            "peak_mib": round(int(peak.group(1)) / 1024) if peak else None,
            "message": errors[0] if errors else ("" if result.returncode == 0 else _last_words(result.stderr))}


def _last_words(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and not line.lstrip().startswith(("Command being timed", "User time", "System time"))]
    interesting = [line for line in lines if "rror" in line]
    return (interesting or lines or [""])[0][:300]


def _snakemake(code: Path, review: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(code / "Snakefile"), "--directory", str(review),
            "--cores", "2", *extra]


def _observations(review: Path) -> dict:
    """What the outputs show: raw HTML in reconcile.md, how a label with dollars is drawn, figures in the report."""
    seen: dict[str, object] = {}
    markdown = review / "data/processed/reconcile/reconcile.md"
    if markdown.exists():
        text = markdown.read_text(encoding="utf-8")
        seen["reconcile_md_raw_tags"] = sorted(set(re.findall(r"<(img|script|b)\b", text)))
    chart = review / "figures/table3_country.svg"
    if chart.exists():
        # with svg.fonttype "path" matplotlib writes each text as a comment, then <use> of glyph paths
        # named by font and glyph index ("DejaVuSans-7" is '$'; mathtext draws "DejaVuSans-Oblique-..." glyphs)
        svg = chart.read_text(encoding="utf-8")
        start = svg.find(f"<!-- {DOLLARS} -->")
        if start >= 0:
            drawn = svg[start:svg.find("<!--", start + 4)]
            seen["dollar_label_glyphs"] = {"dollar_signs": drawn.count('"#DejaVuSans-7"'),
                                           "italic_glyphs": drawn.count("#DejaVuSans-Oblique")}
    page = review / "data/processed/report/index.html"
    if page.exists():
        seen["report_figures"] = page.read_text(encoding="utf-8").count('<figure class="figure"')
    return seen


def run_case(name: str, code: Path, work: Path) -> dict:
    what, plant = CASES[name]
    review = work / name
    shutil.rmtree(review, ignore_errors=True)
    shutil.copytree(FIXTURE, review)
    plant(review)
    outcome = {"case": name, "what": what, **_timed(_snakemake(code, review), review, _environment(code))}
    outcome.update(_observations(review))
    return outcome


def run_dangerous_svg(code: Path, work: Path) -> dict:
    """A finished review whose chart file is swapped for an SVG with script, onload and a javascript: link;
    only the report is rerun on it."""
    review = work / "dangerous_svg"
    shutil.rmtree(review, ignore_errors=True)
    shutil.copytree(FIXTURE, review)
    env = _environment(code)
    subprocess.run(_snakemake(code, review), cwd=review, env=env, capture_output=True, text=True, timeout=1200)
    (review / "figures/table3_country.svg").write_text(DANGEROUS_SVG, encoding="utf-8")
    outcome = {"case": "dangerous_svg", "what": "figure SVG with <script>, onload= and a javascript: href",
               **_timed(_snakemake(code, review, "--forcerun", "report"), review, env)}
    outcome.update(_observations(review))
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=REPO)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "render-cases")
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args()
    names = args.cases or [*CASES, "dangerous_svg"]
    results = [run_dangerous_svg(args.code, args.work) if name == "dangerous_svg" else run_case(name, args.code, args.work)
               for name in names]
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
