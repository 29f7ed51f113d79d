"""Fixtures for task tests: a Redis key prefix of their own, settings that point at it."""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.conftest import make_settings


@pytest.fixture
def celery_prefix(redis_url):
    """A broker key prefix used by this test only; its keys are deleted afterwards."""
    prefix = f"voltline-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def broker_settings(tmp_path, postgres_url, redis_url, celery_prefix):
    return make_settings(
        tmp_path, database_url=postgres_url, redis_url=redis_url, celery_key_prefix=celery_prefix
    )
