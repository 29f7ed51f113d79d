"""dispatch_pending: outbox rows reach the broker once, or stay pending when it is down."""

import base64
import dataclasses
import json

import redis
from sqlalchemy import select

from domain.db import Database
from domain.models import TaskOutbox
from domain.services.outbox import enqueue_task
from tasks.dispatch import dispatch_pending
from tests.services import free_port


def queued_messages(settings):
    client = redis.Redis.from_url(settings.redis_url)
    try:
        raw = client.lrange(f"{settings.celery_key_prefix}celery", 0, -1)
    finally:
        client.close()
    return [json.loads(message) for message in raw]


def task_arguments(message: dict) -> dict:
    """The keyword arguments of a Celery (protocol 2) JSON message."""
    _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return kwargs


def pending(database):
    with database.unit_of_work() as session:
        query = select(TaskOutbox.dedupe_key).where(TaskOutbox.dispatched_at.is_(None))
        return session.scalars(query).all()


def test_pending_rows_are_published_once_and_marked_dispatched(pg_db, broker_settings):
    with pg_db.unit_of_work() as session:
        enqueue_task(session, "finalize_session", "7", transaction_id=7)
    assert dispatch_pending(pg_db, broker_settings) == 1
    assert dispatch_pending(pg_db, broker_settings) == 0
    [message] = queued_messages(broker_settings)
    assert message["headers"]["task"] == "finalize_session"
    assert message["content-type"] == "application/json"
    assert task_arguments(message) == {"transaction_id": 7}
    assert pending(pg_db) == []


def test_a_batch_of_finalize_session_rows_is_one_finalize_sessions_message(pg_db, broker_settings):
    with pg_db.unit_of_work() as session:
        enqueue_task(session, "finalize_session", "7", transaction_id=7)
        enqueue_task(session, "finalize_session", "8", transaction_id=8)
        enqueue_task(session, "finalize_session", "9", transaction_id=9)
    assert dispatch_pending(pg_db, broker_settings) == 3
    [message] = queued_messages(broker_settings)
    assert message["headers"]["task"] == "finalize_sessions"
    assert task_arguments(message) == {"transaction_ids": [7, 8, 9]}
    assert pending(pg_db) == []


def test_unreachable_broker_leaves_rows_pending_and_raises_nothing(pg_db, broker_settings):
    closed = dataclasses.replace(broker_settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with pg_db.unit_of_work() as session:
        enqueue_task(session, "finalize_session", "7", transaction_id=7)
    assert dispatch_pending(pg_db, closed) == 0
    assert pending(pg_db) == ["7"]
    assert dispatch_pending(pg_db, broker_settings) == 1
    assert pending(pg_db) == []


def test_unreachable_database_is_logged_not_raised(broker_settings, caplog):
    port = free_port()
    database = Database(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/nothing")
    try:
        assert dispatch_pending(database, broker_settings) == 0
    finally:
        database.dispose()
    assert "outbox dispatch failed" in caplog.text
