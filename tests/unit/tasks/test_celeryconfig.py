"""celeryconfig: the delivery guarantees and schedule the tasks rely on."""

import pytest

from celeryconfig import celery_options
from domain.settings import Settings, SettingsError
from tasks import app
from tasks.jobs import JOBS

SECRET = "x" * 40
PERIODIC_JOBS = {
    "sweep_heartbeats",
    "prune_status_logs",
    "prune_message_log",
    "reconcile_transactions",
    "dispatch_outbox",
    "expire_reservations",
    "request_certificate_renewals",
    "roll_up_health",
}


def production(**environ):
    return Settings.from_env(
        {"REDIS_URL": "redis://127.0.0.1:6379/3", "JWT_SECRET_KEY": SECRET, **environ}
    )


def test_broker_and_backend_come_from_redis_url_and_speak_json_only():
    options = celery_options(production())
    assert options["broker_url"] == options["result_backend"] == "redis://127.0.0.1:6379/3"
    assert options["accept_content"] == options["result_accept_content"] == ["json"]
    assert options["task_serializer"] == options["result_serializer"] == "json"
    assert options["task_always_eager"] is False


def test_late_acks_and_redelivery_outlive_the_longest_task():
    options = celery_options(production(TASK_TIME_LIMIT="120", TASK_VISIBILITY_TIMEOUT="600"))
    assert options["task_acks_late"] and options["task_reject_on_worker_lost"]
    assert options["task_time_limit"] == 120
    assert options["task_soft_time_limit"] < options["task_time_limit"]
    assert options["broker_transport_options"]["visibility_timeout"] == 600


def test_visibility_timeout_shorter_than_a_task_is_refused():
    with pytest.raises(SettingsError, match="TASK_VISIBILITY_TIMEOUT"):
        production(TASK_TIME_LIMIT="600", TASK_VISIBILITY_TIMEOUT="300")


def test_beat_schedule_follows_the_settings_and_names_real_tasks():
    schedule = celery_options(
        production(HEARTBEAT_SWEEP_SECONDS="45", OUTBOX_DISPATCH_SECONDS="15")
    )["beat_schedule"]
    assert schedule["sweep_heartbeats"]["schedule"].total_seconds() == 45
    assert schedule["dispatch_outbox"]["schedule"].total_seconds() == 15
    assert schedule["prune_status_logs"]["schedule"].total_seconds() == 24 * 3600
    assert schedule["prune_message_log"]["schedule"].total_seconds() == 24 * 3600
    assert schedule["reconcile_transactions"]["schedule"].total_seconds() == 300
    assert schedule["expire_reservations"]["schedule"].total_seconds() == 300
    assert schedule["request_certificate_renewals"]["schedule"].total_seconds() == 3600
    assert schedule["roll_up_health"]["schedule"].total_seconds() == 600
    assert {name: entry["task"] for name, entry in schedule.items()} == {
        name: name for name in PERIODIC_JOBS
    }


def test_every_job_is_a_celery_task_of_the_same_name_and_nothing_else_is():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert ours == set(JOBS) == PERIODIC_JOBS | {"finalize_session", "finalize_sessions"}


def test_embedded_mode_runs_tasks_eagerly(tmp_path):
    options = celery_options(Settings.from_env({"INSTANCE_PATH": str(tmp_path)}))
    assert options["task_always_eager"] is True
    assert options["broker_url"] == "memory://"
