"""Run the repository's Snakefile on a review folder, the way a user's shell would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def copy_review(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("processed", "figures", ".snakemake"))
    return target


def snakemake(review: Path, *args: str, code: Path = REPO) -> subprocess.CompletedProcess:
    """``code``: the folder holding the Snakefile and the ``pipeline`` package it and its rules import
    (Snakemake puts the Snakefile's folder first on the import path)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{code}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["MPLBACKEND"] = "Agg"
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(code / "Snakefile"), "--directory", str(review),
               "--cores", "2", *args]
    return subprocess.run(command, cwd=review, env=env, capture_output=True, text=True, timeout=900)


def outputs(review: Path) -> dict[str, bytes]:
    """Every file the pipeline wrote, by path relative to the review folder (logs left out)."""
    found = {}
    for folder in ("data/processed", "figures"):
        for path in sorted((review / folder).rglob("*")):
            relative = path.relative_to(review).as_posix()
            if path.is_file() and "/logs/" not in f"/{relative}":
                found[relative] = path.read_bytes()
    return found
