"""`--profile DIR`: sample the server's workers with py-spy while a scenario measures.

Writes py-spy's collapsed stacks to DIR/<scenario>.txt (open them in speedscope or
flamegraph.pl) and prints the project's own functions that took the most samples.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.processes import tree_pids
from bench.report import progress

PROJECT_DIRS = ("web/", "domain/", "tasks/")


def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("--profile needs py-spy: pip install -r requirements-dev.txt")
    return found


@contextmanager
def profiled(server_pid: int, directory: Path | None, name: str, seconds: float) -> Iterator:
    """Record the server's worker(s) while the block runs, at most `seconds` (no-op without
    DIR): a recorder still running when the block ends is stopped as Ctrl-C stops it, which
    writes what it sampled."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    workers = tree_pids(server_pid)[1:] or [server_pid]
    outputs = [directory / f"{name}-{pid}.txt" for pid in workers]
    recorders = [
        subprocess.Popen(
            [
                py_spy(),
                "record",
                "-p",
                str(pid),
                "-d",
                str(max(1, round(seconds))),
                "-f",
                "raw",
                "-o",
                str(output),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, output in zip(workers, outputs, strict=True)
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            if recorder.poll() is None:
                recorder.send_signal(signal.SIGINT)
            try:
                recorder.wait(30)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()
    for output in outputs:
        if output.exists():
            progress(f"profile: {output}")
            for line in top_functions(output):
                progress(f"  {line}")


def top_functions(collapsed: Path, count: int = 15) -> list[str]:
    """The project functions on the most sampled stacks (inclusive share of samples)."""
    total, inclusive = 0, Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        total += int(samples)
        seen = set()
        for frame in stack.split(";"):
            if any(f"({part}" in frame for part in PROJECT_DIRS):
                name, _, where = frame.partition(" (")
                function = f"{name} ({'/'.join(where.split(':')[0].split('/')[-2:])})"
                if function not in seen:
                    seen.add(function)
                    inclusive[function] += int(samples)
    return [f"{100 * n / total:5.1f}%  {function}" for function, n in inclusive.most_common(count)]
