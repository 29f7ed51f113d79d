"""Processes a benchmark starts: launch, wait until listening, measure memory, stop for sure."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from domain.settings import PROJECT_ROOT
from tests.services import free_port


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Return once 127.0.0.1:`port` accepts connections; raise if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def tree_pids(pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total = 0
    for current in tree_pids(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds a server's process tree spends inside a `with` block.

    On a machine shared with other work, CPU per operation is the steadier figure: it does
    not grow when the server waits for a core.
    """

    def __init__(self, root_pid: int):
        self.pids = tree_pids(root_pid)
        self.seconds = 0.0

    def __enter__(self) -> CpuMeter:
        self._start = cpu_seconds(self.pids)
        return self

    def __exit__(self, *_exc) -> None:
        self.seconds = cpu_seconds(self.pids) - self._start


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class ManagedProcess:
    """A child process in its own process group, stopped (group-wide) on exit."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        return tree_rss_kib(self.pid)

    def stop(self, grace: float = 10.0) -> None:
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(5)
        # Workers left behind by a master that died first go with the group.
        self._signal(signal.SIGKILL)
        self._log.close()

    def _signal(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def __enter__(self) -> ManagedProcess:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


@dataclass(frozen=True)
class Target:
    """A server a scenario drives: where chargers connect, and which process to measure."""

    name: str
    base_url: str
    pid: int


# The Flask-Sock hand-reply floor: one gevent worker, as Voltline's benchmarks run.
FLASK_SOCK_FLOOR = "flasksock"
FLOOR_GUNICORN = ("--worker-class", "gevent", "--worker-connections", "20000", "--workers", "1")


@contextmanager
def baseline_server(kind: str, log_level: str) -> Iterator[Target]:
    """A baseline server on a free port, stopped when the block ends: bench.baselines'
    `bare` or `chargepoint`, or FLASK_SOCK_FLOOR (bench.floor under gunicorn + gevent)."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.baselines", kind, "--port", str(port)]
    argv += ["--log-level", log_level]
    if kind == FLASK_SOCK_FLOOR:
        argv = [sys.executable, "-m", "gunicorn", *FLOOR_GUNICORN, "--bind", f"127.0.0.1:{port}"]
        argv += ["--log-level", log_level.lower(), "bench.floor:app"]
    with tempfile.TemporaryDirectory(prefix="voltline-bench-") as log_dir:
        with ManagedProcess(kind, argv, dict(os.environ), Path(log_dir) / f"{kind}.log") as process:
            wait_for_port(port, 30, process.process)
            yield Target(kind, f"ws://127.0.0.1:{port}/ocpp", process.pid)
