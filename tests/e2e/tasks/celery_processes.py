"""Real `celery worker` and `celery beat` processes for fault tests, with their logs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
APP = "tests.e2e.tasks.instrumented_app"
STARTUP_DEADLINE = 30.0


class CeleryProcess:
    """One celery process in its own process group, logging to a file."""

    def __init__(self, kind: str, environ: dict[str, str], log_path: Path, *arguments: str):
        self.log_path = log_path
        self._log = log_path.open("wb")
        command = [sys.executable, "-m", "celery", "-A", APP, kind, "--loglevel=INFO", *arguments]
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **environ},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @classmethod
    def worker(cls, environ, log_path, name: str) -> CeleryProcess:
        worker = cls(
            "worker",
            environ,
            log_path,
            "--pool=prefork",
            "--concurrency=2",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            f"--hostname={name}@%h",
        )
        worker.wait_for_log("ready.")
        return worker

    @classmethod
    def beat(cls, environ, log_path, state_dir: Path) -> CeleryProcess:
        return cls(
            "beat",
            environ,
            log_path,
            f"--schedule={state_dir / 'schedule'}",
            f"--pidfile={state_dir / 'beat.pid'}",
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, count: int = 1, deadline: float = STARTUP_DEADLINE) -> None:
        """Wait until `text` appeared `count` times in the log; fail with the log otherwise."""
        end = time.monotonic() + deadline
        while self.log_text().count(text) < count:
            if self.process.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"never saw {text!r} x{count}:\n{self.log_text()[-4000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole process group: main process and pool children, no clean-up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        """Cold shutdown (SIGQUIT): stop at once; an unfinished task would be redelivered."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._log.close()
