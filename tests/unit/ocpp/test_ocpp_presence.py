"""In-process presence (embedded mode): claims expire unless refreshed, release only ours."""

from adapters.presence import InProcessPresence, RedisPresence, build_presence
from tests.conftest import make_settings


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_claim_lives_for_the_ttl_and_refresh_extends_it():
    clock = Clock()
    presence = InProcessPresence("node-a", ttl=30, clock=clock)
    presence.claim("cp1")
    assert presence.node_of("cp1") == "node-a"
    clock.now += 20
    assert presence.refresh("cp1") is True
    clock.now += 20
    assert presence.node_of("cp1") == "node-a"
    clock.now += 31
    assert presence.node_of("cp1") is None
    assert presence.refresh("cp1") is False


def test_release_reports_whether_the_claim_was_still_held():
    presence = InProcessPresence("node-a", ttl=30)
    presence.claim("cp1")
    presence.refresh_many(["cp1", "cp2"])
    assert presence.node_of("cp2") is None
    assert presence.release("cp1") is True
    assert presence.release("cp1") is False
    assert presence.node_of("cp1") is None


def test_build_presence_follows_redis_url(tmp_path):
    assert isinstance(build_presence(make_settings(tmp_path)), InProcessPresence)
    redis_settings = make_settings(tmp_path, redis_url="redis://127.0.0.1:6379/0")
    assert isinstance(build_presence(redis_settings), RedisPresence)
