"""The review on a one-node Slurm cluster, compared byte for byte with the same review run locally.

    .venv/bin/pip install -c constraints.txt -e '.[slurm]'     # Snakemake's Slurm executor plugin
    .venv/bin/python benchmarks/slurm/run.py                   # the shipped review; as root
    .venv/bin/python benchmarks/slurm/run.py --review fixture  # tests/fixtures/review

Installs Debian's slurm-wlm and munge with apt-get when they are missing, starts a private
one-node cluster (cluster.py), copies the review's config.yaml and data/raw/ into two folders,
runs Snakemake in one with ``--cores 2`` and in the other with ``--profile profiles/slurm`` (one
Slurm job per rule), and compares every output file (data/processed/ and figures/, logs left out).
Writes results.json and RESULTS.md beside this file; exits 1 when an output differs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import cluster  # noqa: E402
from snakemake_runner import outputs  # noqa: E402  (every output file but the logs, as the end-to-end tests read them)

log = logging.getLogger("benchmarks.slurm")
REVIEWS = {"shipped": REPO, "fixture": REPO / "tests" / "fixtures" / "review"}
# the local cluster has no accounting database: squeue, not sacct, tells a job's state (with no
# account given, the executor finds none to guess and submits without one)
SLURM_OPTIONS = ("--slurm-status-command", "squeue")


def copy_inputs(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copy2(source / "config.yaml", target / "config.yaml")
    shutil.copytree(source / "data" / "raw", target / "data" / "raw")
    return target


def snakemake(review: Path, *options: str, env: dict[str, str] | None = None) -> tuple[list[str], float, str]:
    """Run the repository's Snakefile on ``review``; the command, its wall time in seconds, and its log."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(review),
               *options]
    environment = dict(env or os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment.setdefault("MPLBACKEND", "Agg")
    started = time.monotonic()
    done = subprocess.run(command, cwd=review, env=environment, capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"snakemake {' '.join(options)} failed in {review}:\n{done.stderr[-4000:]}")
    return command, seconds, done.stdout + done.stderr


def compare(local: dict[str, bytes], remote: dict[str, bytes]) -> dict:
    return {
        "files": len(local),
        "bytes": sum(len(data) for data in local.values()),
        "only_local": sorted(set(local) - set(remote)),
        "only_slurm": sorted(set(remote) - set(local)),
        "different": sorted(path for path in set(local) & set(remote) if local[path] != remote[path]),
    }


def slurm_job_ids(snakemake_log: str) -> list[str]:
    return re.findall(r"submitted with SLURM jobid (\d+)", snakemake_log, flags=re.IGNORECASE)


def run(review: str, work: Path, slurm: cluster.Cluster) -> dict:
    """Run ``review`` locally and on ``slurm`` (a started cluster) in folders under ``work``."""
    source = REVIEWS[review]
    local = copy_inputs(source, work / "local")
    remote = copy_inputs(source, work / "slurm")
    local_command, local_seconds, _ = snakemake(local, "--cores", "2")
    log.info("local run: %.1f s", local_seconds)
    slurm_command, slurm_seconds, slurm_log = snakemake(
        remote, "--profile", str(REPO / "profiles" / "slurm"), *SLURM_OPTIONS, env=slurm.env)
    jobs = slurm_job_ids(slurm_log)
    log.info("Slurm run: %.1f s, %d Slurm jobs", slurm_seconds, len(jobs))
    result = compare(outputs(local), outputs(remote))
    return {
        "run_by": shlex.join(["benchmarks/slurm/run.py", "--review", review]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "review": review,
        "machine": f"{os.cpu_count()} CPUs, {platform.platform()}",
        "slurm": subprocess.run(["sinfo", "--version"], capture_output=True, text=True,
                                env=slurm.env).stdout.strip(),
        "local": {"command": shlex.join(local_command), "seconds": round(local_seconds, 1)},
        "on_slurm": {"command": shlex.join(slurm_command), "seconds": round(slurm_seconds, 1), "jobs": len(jobs)},
        "comparison": result,
        "identical": not (result["only_local"] or result["only_slurm"] or result["different"]),
    }


def markdown(results: dict) -> str:
    comparison = results["comparison"]
    verdict = ("identical" if results["identical"] else
               f"DIFFERENT: only local {comparison['only_local']}, only on Slurm {comparison['only_slurm']}, "
               f"different bytes {comparison['different']}")
    return "\n".join([
        "# The review on one-node Slurm against a local run",
        "",
        f"`{results['run_by']}` on {results['date']}. Machine: {results['machine']}. {results['slurm']}.",
        "The machine was shared with other work, so wall times are loose.",
        "",
        "| run | wall time | command |",
        "|---|---|---|",
        f"| local | {results['local']['seconds']} s | `{results['local']['command']}` |",
        f"| Slurm ({results['on_slurm']['jobs']} jobs) | {results['on_slurm']['seconds']} s | "
        f"`{results['on_slurm']['command']}` |",
        "",
        f"Outputs (data/processed/ and figures/, logs left out): {comparison['files']} files, "
        f"{comparison['bytes']:,} bytes, {verdict}.",
        "",
        "Where the Slurm run's extra time goes: each rule is a job that starts Snakemake again inside",
        "the allocation, and the executor first looks at a job 5 s after submitting it",
        "(`slurm-init-seconds-before-status-checks` in the profile), then 10 s later each time, so a",
        "stage of a few seconds costs at least one status interval. The stages run one after the other",
        "in this review; a review of many sources gains from the cluster only when stages run in parallel.",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--review", choices=sorted(REVIEWS), default="shipped")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.json and RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the run folders (printed at the end)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if cluster.missing_programs():
        log.info("installing slurm-wlm and munge (missing: %s)", ", ".join(cluster.missing_programs()))
        cluster.install()
    work = Path(tempfile.mkdtemp(prefix="slurm-review-"))
    slurm = cluster.one_node(work / "cluster")
    try:
        slurm.start()
        results = run(args.review, work, slurm)
    finally:
        slurm.stop()
        if args.keep:
            log.info("run folders kept in %s", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "RESULTS.md").write_text(markdown(results))
    log.info("%s", markdown(results))
    return 0 if results["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
