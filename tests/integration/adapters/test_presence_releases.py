"""Presence releases of closed sockets over a real Redis: batched, each socket answered."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis

from adapters.presence import RedisPresence, presence_key
from adapters.presence_releases import BatchedReleases
from tests.services import free_port

pytestmark = pytest.mark.redis


class Answers:
    """Collects `then(answer)` calls until `expected` have come in."""

    def __init__(self, expected: int):
        self.got: dict[str, bool | None] = {}
        self._expected = expected
        self._all_in = threading.Event()

    def then(self, name):
        def answer(released):
            self.got[name] = released
            if len(self.got) == self._expected:
                self._all_in.set()

        return answer

    def wait(self) -> dict[str, bool | None]:
        assert self._all_in.wait(10), f"only {len(self.got)} of {self._expected} answered"
        return self.got


def test_closed_sockets_are_released_in_one_go_and_each_is_answered(redis_url):
    client = redis.Redis.from_url(redis_url)
    ours = RedisPresence(client, f"node-{uuid.uuid4().hex[:6]}", ttl=60)
    theirs = RedisPresence(client, f"other-{uuid.uuid4().hex[:6]}", ttl=60)
    names = [f"rel-{uuid.uuid4().hex[:6]}-{n}" for n in range(200)]
    for name in names[:-2]:
        ours.claim(name)
    theirs.claim(names[-2])  # moved to another node meanwhile
    ours.claim(names[-1])  # reconnected here: its new socket's claim must stay
    answers = Answers(len(names))
    releases = BatchedReleases(ours, live_here=lambda name: name == names[-1])
    for name in names:
        releases.release(name, answers.then(name))
    got = answers.wait()
    assert all(got[name] is True for name in names[:-2])
    assert got[names[-2]] is False and got[names[-1]] is True
    assert [client.exists(presence_key(name)) for name in names] == [0] * 198 + [1, 1]
    client.delete(*(presence_key(name) for name in names))
    client.close()


def test_an_unreachable_redis_answers_none_and_raises_nothing():
    client = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=1)
    answers = Answers(2)
    releases = BatchedReleases(RedisPresence(client, "node", ttl=60), live_here=lambda _: False)
    releases.release("a", answers.then("a"))
    releases.release("b", answers.then("b"))
    assert answers.wait() == {"a": None, "b": None}
