"""Run the review or its tests in a private environment that this script builds itself.

    python3 review.py run [snakemake options]   # the whole review on the shipped data
    python3 review.py test [pytest options]     # the test suite

Only Python 3.11+ is needed. The first call creates ``.venv/`` next to this file and installs
the pipeline with the exact versions pinned in ``constraints.txt``; later calls reuse it until
``pyproject.toml`` or ``constraints.txt`` change.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "installed.sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _fail(message: str) -> None:
    sys.stderr.write(f"ERROR: {message}\n")
    raise SystemExit(2)


def _wanted_stamp() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):
        _fail(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}. Run it with python3.11 or newer.")
    wanted = _wanted_stamp()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print(f"Creating the environment in {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            _fail(f"could not create {VENV} ({exc}). On Debian/Ubuntu install the python3-venv package, then retry.")
    print("Installing the pipeline and its pinned dependencies (first run only) ...", flush=True)
    quiet = [] if os.environ.get("REVIEW_VERBOSE") else ["--quiet"]
    steps = [
        [str(PYTHON), "-m", "pip", "install", *quiet, "--disable-pip-version-check", "--upgrade", "pip"],
        [str(PYTHON), "-m", "pip", "install", *quiet, "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"],
    ]
    for step in steps:
        if subprocess.call(step, cwd=ROOT) != 0:
            _fail("installing the dependencies failed (see pip's message above); check the network connection "
                  "to the package index, then run the same command again.")
    STAMP.write_text(wanted + "\n")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("MPLBACKEND", "Agg")
    return env


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        sys.stderr.write(__doc__)
        return 2
    _ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT, env=_environment())
    cores = ["--cores", str(os.cpu_count() or 1)] if not any(a.startswith(("--cores", "-c")) for a in rest) else []
    call = _after_interrupted_run([str(BIN / "snakemake"), *cores, "--snakefile", str(ROOT / "Snakefile"), *rest], ROOT)
    return _run_snakemake(call) if call else 2


# --- after a killed run ----------------------------------------------------------------------
# A run killed outright (SIGKILL, the OOM killer, a power cut) leaves Snakemake's lock in
# .snakemake/locks and a marker per output of the jobs it was running in .snakemake/incomplete. The
# next run refused to start until it was given --unlock, then --rerun-incomplete. A lock is stale
# when no Snakemake and no pipeline job works in the folder any more; then it is removed and the
# unfinished jobs rerun, with one line saying so.


def _after_interrupted_run(call: list[str], workdir: Path) -> list[str] | None:
    """``call``, with ``--rerun-incomplete`` when a killed run left unfinished outputs, after removing
    its stale lock; None (after one ERROR line) when another run still works in ``workdir``."""
    if any(arg in ("--unlock", "--dry-run", "--dryrun", "-n") for arg in call):
        return call
    workdir = workdir.resolve()
    state = workdir / ".snakemake"
    locked = any((state / "locks").glob("*.lock"))
    unfinished = _unfinished_stages(state / "incomplete")
    if not locked and unfinished is None:
        return call
    live = _live_runs(workdir)
    if live:
        sys.stderr.write(f"ERROR: {workdir}: another run of this review is still working (pid {live[0]}); "
                         "wait for it to end (or stop it), then run again\n")
        return None
    if locked and live is None:  # cannot tell on this system: leave it to Snakemake's own message
        return call
    done = []
    if locked:
        unlock = subprocess.run([*call, "--unlock"], cwd=workdir, env=_environment(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if unlock.returncode != 0:
            sys.stdout.write(unlock.stdout)
            return call
        done.append("removed its stale lock")
    if unfinished is not None:
        done.append(f"rerunning its unfinished jobs ({', '.join(unfinished) or 'outputs of unknown stages'})")
        call = [*call, "--rerun-incomplete"]
    print(f"Recovering from an interrupted run: {'; '.join(done)}.", flush=True)
    return call


def _unfinished_stages(markers: Path) -> list[str] | None:
    """The stages (folders under data/processed) whose outputs Snakemake marked as being written,
    from its marker files (named by the output path in URL-safe base64); None when there are none."""
    found = [path for path in markers.rglob("*") if path.is_file()] if markers.is_dir() else []
    if not found:
        return None
    stages = set()
    for path in found:
        try:
            output = base64.urlsafe_b64decode("".join(path.relative_to(markers).parts)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        parts = Path(output).parts
        stages.add(parts[2] if parts[:2] == ("data", "processed") and len(parts) > 3 else parts[0])
    return sorted(stages)


def _live_runs(workdir: Path) -> list[str] | None:
    """Processes working in ``workdir`` as Snakemake or a pipeline stage, as "PID: command"; None
    where the system has no /proc to look in."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    live = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:  # ended meanwhile
            continue
        try:
            here = Path(os.readlink(entry / "cwd")) == workdir
        except PermissionError:  # another user's process: judge by its command line alone
            here = str(workdir) in " ".join(argv)
        except OSError:
            continue
        names = [Path(arg).name for arg in argv[:4]]
        if not here:
            continue
        if "snakemake" in names[:2] or "-m snakemake" in " ".join(names):
            live.append(f"{entry.name}: snakemake")
        elif "-m pipeline" in " ".join(names):
            live.append(f"{entry.name}: python -m pipeline {names[-1]}")
    return live


def _run_snakemake(call: list[str]) -> int:
    """Run Snakemake showing its output as it comes; if it fails, repeat the pipeline's own
    ERROR lines at the end, where the user looks, below Snakemake's report of the failed job."""
    errors = []
    with subprocess.Popen(call, cwd=ROOT, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            if line.startswith("ERROR:"):
                errors.append(line.rstrip("\n"))
    if process.returncode != 0:
        if errors:
            sys.stdout.write("\nThe review stopped; fix this and run the same command again:\n")
            sys.stdout.write("\n".join(errors) + "\n")
        else:
            sys.stdout.write("\nThe review stopped; see Snakemake's message above.\n")
    sys.stdout.flush()
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
