"""A one-node Slurm cluster on this machine, private to one folder, for the Slurm benchmark and its test.

Everything the daemons write (their configuration, the munge key and socket, state, logs, pid
files) lives in one folder. Clients find the configuration through ``SLURM_CONF`` in
``Cluster.env``, but the Slurm executor's job step drops every ``SLURM_*`` variable but the job's
identity before it calls ``srun`` inside the job, so ``srun`` looks in the default place: while
the cluster runs, /etc/slurm/slurm.conf is a link to this configuration. A machine that already
has a /etc/slurm/slurm.conf (a real cluster) is refused, never changed.

Needs Debian's ``slurm-wlm`` and ``munge`` packages (``install()`` gets them with apt-get when
run as root) and root itself: slurmd starts job steps as the submitting user.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")
SBIN = ("/usr/sbin", "/usr/bin")
PACKAGES = ("slurm-wlm", "munge")
DEFAULT_CONF = Path("/etc/slurm/slurm.conf")


def missing_programs() -> list[str]:
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    return [name for name in PROGRAMS if shutil.which(name, path=path) is None]


def install() -> None:
    """apt-get install slurm-wlm and munge; raises RuntimeError saying why when that cannot be done."""
    if os.geteuid() != 0:
        raise RuntimeError("installing Slurm needs root (apt-get install slurm-wlm munge)")
    if shutil.which("apt-get") is None:
        raise RuntimeError("no apt-get on this machine: install Slurm and munge with the system's package manager")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *PACKAGES]):
        done = subprocess.run(step, capture_output=True, text=True, env=environment)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def _program(name: str) -> str:
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    found = shutil.which(name, path=path)
    if found is None:
        raise RuntimeError(f"{name} not found; install Debian's slurm-wlm and munge packages")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    node: str
    cpus: int
    memory_mb: int

    @property
    def conf(self) -> Path:
        return self.folder / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment in which sbatch, squeue and Snakemake's Slurm executor talk to this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf),
                "PATH": os.pathsep.join([os.environ.get("PATH", ""), *SBIN])}

    def _write_config(self) -> None:
        ctld_port, slurmd_port = _free_port(), _free_port()
        folder = self.folder
        self.conf.write_text("\n".join([
            "ClusterName=evidence",
            f"SlurmctldHost={self.node}(127.0.0.1)",
            f"SlurmctldPort={ctld_port}",
            f"SlurmdPort={slurmd_port}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={folder / 'munge.socket'}",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={folder / 'state'}",
            f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
            f"SlurmdPidFile={folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={folder / 'slurmctld.log'}",
            f"SlurmdLogFile={folder / 'slurmd.log'}",
            # no cgroups, no accounting database: what a container without systemd can run
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU_Memory",
            "ReturnToService=2",
            # finished jobs stay visible to squeue long enough for the executor to see them end
            "MinJobAge=600",
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN",
            f"PartitionName=review Nodes={self.node} Default=YES MaxTime=INFINITE State=UP",
            "",
        ]))

    def start(self, timeout: float = 60) -> None:
        """Start munged, slurmctld and slurmd; return once the node takes jobs (RuntimeError if it never does)."""
        if DEFAULT_CONF.exists() or DEFAULT_CONF.is_symlink():
            raise RuntimeError(f"{DEFAULT_CONF} exists: this machine has a Slurm configuration of its own; run the "
                               "benchmark on a machine without one (it links its own configuration there)")
        for sub in ("state", "spool"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        key = self.folder / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o600)
        self._write_config()
        DEFAULT_CONF.parent.mkdir(parents=True, exist_ok=True)
        DEFAULT_CONF.symlink_to(self.conf)
        folder = self.folder
        self._run([_program("munged"), "--force", f"--socket={folder / 'munge.socket'}", f"--key-file={key}",
                   f"--pid-file={folder / 'munged.pid'}", f"--log-file={folder / 'munged.log'}",
                   f"--seed-file={folder / 'munged.seed'}"])
        self._run([_program("slurmctld"), "-f", str(self.conf), "-i"])
        self._run([_program("slurmd"), "-f", str(self.conf), "-N", self.node])
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            done = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True, env=self.env)
            state = done.stdout.strip()
            if done.returncode == 0 and state in ("idle", "mix", "alloc"):
                log.info("one-node Slurm up: node %s, %d CPUs, %d MB, config %s", self.node, self.cpus,
                         self.memory_mb, self.conf)
                return
            time.sleep(1)
        raise RuntimeError(f"the Slurm node did not come up within {timeout:.0f} s (state {state or 'unknown'!r}); "
                           f"see {folder / 'slurmctld.log'} and {folder / 'slurmd.log'}")

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(command, capture_output=True, text=True, env=self.env)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} did not start: {(done.stderr or done.stdout).strip()[-500:]}")

    def stop(self) -> None:
        """Stop the three daemons this cluster started (by their pid files), slurmd first."""
        for name in ("slurmd", "slurmctld", "munged"):
            pid_file = self.folder / f"{name}.pid"
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        if DEFAULT_CONF.is_symlink() and DEFAULT_CONF.resolve() == self.conf.resolve():
            DEFAULT_CONF.unlink()


def one_node(folder: Path, cpus: int | None = None, memory_mb: int = 8000) -> Cluster:
    """A cluster of this machine alone, configured in ``folder``: all its CPUs, ``memory_mb`` of memory."""
    return Cluster(folder=folder, node=socket.gethostname().split(".")[0], cpus=cpus or os.cpu_count() or 1,
                   memory_mb=memory_mb)
