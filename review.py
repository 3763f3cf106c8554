"""Run a review or the tests in a private environment that this script builds itself.

    python3 review.py run [DIR] [snakemake options]   # the review in DIR (default: the shipped one)
    python3 review.py init DIR [EXPORT ...]           # make a new review folder, exports copied in
    python3 review.py test [pytest options]           # the test suite
    python3 review.py workbench [DIR] [--port N]      # screen DIR's work queues in the browser
    python3 review.py --version | --help | COMMAND --help

Only Python 3.11+ is needed. The first call creates ``.venv/`` next to this file and installs
the pipeline with the exact versions pinned in ``constraints.txt``; later calls reuse it until
``pyproject.toml`` or ``constraints.txt`` change.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
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


HELP = {
    "run": """usage: python3 review.py run [DIR] [snakemake options]

Run the review in the folder DIR (made by `python3 review.py init DIR`), from any working folder;
without DIR, the review shipped in this repository. Only what changed since the last run is redone.
The config, the export files and the decision files are checked first: a problem is one ERROR
line saying what to fix. Other options go to Snakemake (--dry-run, --forceall, --cores N, ...).
""",
    "init": """usage: python3 review.py init DIR [EXPORT ...]

Make a new review folder DIR (new or empty): config.yaml with every section commented, a short
README.md, data/raw/exports/ with each EXPORT copied in and listed under sources:, and empty
decision and extraction files. Then write your criteria in DIR/config.yaml and run
`python3 review.py run DIR`.
""",
    "workbench": """usage: python3 review.py workbench [DIR] [--port N] [--open]

Screen the review in DIR (default: the shipped one) in your browser: a page on
http://127.0.0.1:8765/ (--port N for another port; --open opens it). Log in by name; each decision
is written at once to DIR/data/raw/decisions/screening/<name>.csv, which the next
`python3 review.py run DIR` reads. Run the review once first: the page shows its work queues.
""",
    "test": """usage: python3 review.py test [pytest options]

Run the quick test suite (the options go to pytest, e.g. -k screen, tests/unit/test_screen.py).
--full runs the full suite: the tests marked slow and every Hypothesis example. CI, which sets
the CI variable, always runs the full suite.
""",
}


def _version() -> str:
    found = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    return f"evidence-pipeline {found.group(1) if found else 'unknown'}"


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        sys.stdout.write(__doc__)
        return 0
    if argv[:1] in (["-V"], ["--version"]):
        sys.stdout.write(_version() + "\n")
        return 0
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    if argv[0] not in HELP:
        _fail(f"unknown command '{argv[0]}'; use run, init, test or workbench (python3 review.py --help says more)")
    command, rest = argv[0], argv[1:]
    if rest[:1] in (["-h"], ["--help"]):
        sys.stdout.write(HELP[command])
        return 0
    if command == "init":
        if not rest or rest[0].startswith("-"):
            _fail("init needs the folder to make: python3 review.py init DIR [EXPORT ...]")
        _ensure_environment()
        # paths as the user typed them, from the user's working folder
        return subprocess.call([str(PYTHON), "-m", "pipeline", "init", *rest], env=_environment())
    if command == "workbench":
        folder = ROOT
        if rest and not rest[0].startswith("-"):
            folder, rest = Path(rest[0]).resolve(), rest[1:]
        _ensure_environment()
        with subprocess.Popen([str(PYTHON), "-m", "pipeline", "workbench", "--review", str(folder), *rest],
                              env=_environment()) as server:
            try:
                return server.wait()
            except KeyboardInterrupt:  # Ctrl-C reached the server too: it says it stopped
                return server.wait()
    if command == "test":
        _ensure_environment()
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT, env=_environment())
    review = ROOT
    if rest and not rest[0].startswith("-"):
        review, rest = Path(rest[0]).resolve(), rest[1:]
        if not review.is_dir():
            _fail(f"{review}: no such folder; name a review folder, or make one with "
                  f"python3 review.py init {review}")
        if not (review / "config.yaml").is_file():
            _fail(f"{review}: no config.yaml in this folder; name the folder of a review, or make one with "
                  f"python3 review.py init DIR")
    _ensure_environment()
    cores = ["--cores", str(os.cpu_count() or 1)] if not any(a.startswith(("--cores", "-c")) for a in rest) else []
    call = _after_interrupted_run([str(BIN / "snakemake"), *cores, "--snakefile", str(ROOT / "Snakefile"), *rest], review)
    return _run_snakemake(call, review) if call else 2


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


def _run_snakemake(call: list[str], review: Path) -> int:
    """Run Snakemake in the review folder, showing its output as it comes. Once a stage has said
    what is wrong (an ``ERROR:`` line), Snakemake's own report of the failed job is not shown, only
    where its log is; the pipeline's ERROR lines are repeated at the end, where the user looks."""
    errors, snakemake_log = [], ""
    with subprocess.Popen(call, cwd=review, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as process:
        for line in process.stdout:
            if line.startswith("Complete log(s):"):
                snakemake_log = line.split(":", 1)[1].strip()
            if not errors or line.startswith(("ERROR:", "INFO:", "WARNING:")):
                sys.stdout.write(line)
            if line.startswith("ERROR:"):
                errors.append(line.rstrip("\n"))
    if process.returncode != 0:
        if errors:
            where = "" if review == ROOT else f" (paths are in {review})"
            sys.stdout.write(f"\nThe review stopped; fix this and run the same command again{where}:\n")
            sys.stdout.write("\n".join(errors) + "\n")
            if snakemake_log:
                sys.stdout.write(f"(Snakemake's report of the failed job: {snakemake_log})\n")
        else:
            sys.stdout.write("\nThe review stopped; see Snakemake's message above.\n")
    sys.stdout.flush()
    return 2 if process.returncode and errors else process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
