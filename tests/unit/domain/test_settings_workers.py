"""WEB_WORKERS: one per core with Redis, one on the embedded default; every worker is a
relay node with a name of its own."""

import os

import pytest

from domain.settings import Settings, SettingsError

SECRET = "x" * 40
REDIS = "redis://127.0.0.1:6379/0"


def test_one_worker_on_the_embedded_default(tmp_path):
    assert Settings.from_env({"INSTANCE_PATH": str(tmp_path)}).web_workers == 1


def test_one_worker_per_core_with_redis(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "REDIS_URL": REDIS, "JWT_SECRET_KEY": SECRET}
    assert Settings.from_env(env).web_workers == (os.cpu_count() or 1)
    assert Settings.from_env({**env, "WEB_WORKERS": "3"}).web_workers == 3


def test_several_workers_without_redis_are_refused(tmp_path):
    with pytest.raises(SettingsError, match="WEB_WORKERS must be 1 without REDIS_URL"):
        Settings.from_env({"INSTANCE_PATH": str(tmp_path), "WEB_WORKERS": "2"})


def test_a_given_node_id_names_the_server_and_each_of_several_workers_adds_a_suffix(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "REDIS_URL": REDIS, "JWT_SECRET_KEY": SECRET}
    one = Settings.from_env({**env, "NODE_ID": "web-a", "WEB_WORKERS": "1"})
    assert one.node_id == "web-a"
    first, second = (
        Settings.from_env({**env, "NODE_ID": "web-a", "WEB_WORKERS": "2"}) for _ in range(2)
    )
    assert first.node_id.startswith("web-a-") and second.node_id.startswith("web-a-")
    assert first.node_id != second.node_id
