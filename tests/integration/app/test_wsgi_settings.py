"""A bad setting stops the process with one line naming the variable."""

import os
import subprocess
import sys

import pytest

from domain.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"DATABASE_URL": "::::"}, "DATABASE_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0", "JWT_SECRET_KEY": "short"}, "JWT_SECRET_KEY"),
        ({"HEARTBEAT_INTERVAL": "five"}, "HEARTBEAT_INTERVAL"),
    ],
)
def test_bad_setting_exits_with_one_line(tmp_path, environ, variable):
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), **environ}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"configuration error: {variable}")
