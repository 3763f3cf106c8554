"""The fixture review on a one-node Slurm cluster gives the bytes of a local run (benchmarks/slurm).

Part of the full suite (CI). Needs root, Debian's slurm-wlm and munge, and Snakemake's Slurm
executor plugin (in the test extra). Under CI the packages are installed with apt-get when they
are missing; anywhere the cluster cannot be had, the test skips and says why.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from snakemake_runner import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.slurm]

BENCHMARK = REPO / "benchmarks" / "slurm"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"slurm_benchmark_{name}", BENCHMARK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def benchmark():
    pytest.importorskip("snakemake_executor_plugin_slurm",
                        reason="Snakemake's Slurm executor plugin is not installed: pip install -e '.[slurm]'")
    return _load("run")


@pytest.fixture(scope="module")
def slurm(benchmark, tmp_path_factory):
    cluster = benchmark.cluster
    missing = cluster.missing_programs()
    if missing and os.environ.get("CI"):
        try:
            cluster.install()
        except RuntimeError as exc:
            pytest.skip(f"Slurm could not be installed here, so the review was not run on Slurm: {exc}")
        missing = cluster.missing_programs()
    if missing:
        pytest.skip(f"no Slurm here (missing {', '.join(missing)}): apt-get install slurm-wlm munge to run the "
                    "review on a one-node cluster (CI installs them)")
    started = cluster.one_node(tmp_path_factory.mktemp("slurm") / "cluster")
    try:
        started.start()
    except RuntimeError as exc:
        started.stop()
        pytest.skip(f"the one-node Slurm cluster did not start here, so the review was not run on Slurm: {exc}")
    yield started
    started.stop()


def test_the_fixture_review_on_slurm_writes_the_bytes_of_a_local_run(benchmark, slurm, tmp_path):
    results = benchmark.run("fixture", tmp_path, slurm)
    assert results["on_slurm"]["jobs"] > 0, "no job went through sbatch"
    comparison = results["comparison"]
    assert comparison["files"] > 30
    assert (comparison["only_local"], comparison["only_slurm"], comparison["different"]) == ([], [], [])
    assert results["identical"]
