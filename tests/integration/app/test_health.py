import pytest

from bootstrap import create_app
from tests.conftest import make_settings


def test_healthz_embedded_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "embedded"},
    }


@pytest.mark.postgres
@pytest.mark.redis
def test_healthz_with_postgres_and_redis(tmp_path, postgres_url, redis_url):
    app = create_app(make_settings(tmp_path, database_url=postgres_url, redis_url=redis_url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_unreachable(tmp_path, sqlite_url):
    unreachable = "redis://127.0.0.1:1/0"
    app = create_app(make_settings(tmp_path, database_url=sqlite_url, redis_url=unreachable))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "unreachable"
