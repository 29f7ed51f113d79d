"""GET /metrics: Prometheus text, open to loopback only unless METRICS_TOKEN is set."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_settings

REMOTE = {"REMOTE_ADDR": "192.0.2.7"}


def families(body: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(body)}


def test_loopback_scrape_gets_prometheus_text_with_system_gauges(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    scraped = families(response.get_data(as_text=True))
    assert scraped["voltline_connected_chargers"].samples[0].value == 0
    assert scraped["voltline_active_transactions"].samples[0].value == 0


@pytest.mark.parametrize("address", ["192.0.2.7", "10.1.2.3", "2001:db8::1", "not-an-ip"])
def test_remote_scrape_is_refused_when_no_token_is_configured(client, address):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})

    assert response.status_code == 403
    assert response.get_json()["code"] == 403


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_every_loopback_address_may_scrape(client, address):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 200


@pytest.fixture
def token_client(tmp_path, sqlite_url):
    from bootstrap import create_app

    settings = make_settings(tmp_path, database_url=sqlite_url, metrics_token="scrape-me-please")
    return create_app(settings).test_client()


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", "Bearer scrape-me-please-not", "scrape-me-please"]
)
def test_with_a_token_configured_a_wrong_or_missing_bearer_is_refused(token_client, header):
    headers = {} if header is None else {"Authorization": header}
    response = token_client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_with_a_token_configured_any_client_with_the_bearer_may_scrape(token_client):
    headers = {"Authorization": "Bearer scrape-me-please"}

    response = token_client.get("/metrics", headers=headers, environ_base=REMOTE)

    assert response.status_code == 200
    assert "voltline_active_transactions" in families(response.get_data(as_text=True))


def test_metric_samples_are_written_under_the_configured_folder(tmp_path, sqlite_url):
    from bootstrap import create_app
    from web import metrics

    folder = tmp_path / "samples"
    client = create_app(
        make_settings(tmp_path, database_url=sqlite_url, prometheus_multiproc_dir=folder)
    ).test_client()
    metrics.record_boot_answer("Pending")

    scraped = families(client.get("/metrics").get_data(as_text=True))

    assert any(path.suffix == ".db" for path in folder.iterdir())
    boots = {s.labels["status"]: s.value for s in scraped["voltline_boot_notifications"].samples}
    assert boots["Pending"] == 1


def test_server_start_empties_the_folder_of_an_earlier_runs_samples(tmp_path):
    from adapters.metrics import empty_metrics_directory

    settings = make_settings(tmp_path)
    settings.metrics_directory.mkdir()
    (settings.metrics_directory / "counter_4242.db").write_bytes(b"stale samples")

    empty_metrics_directory(settings)

    assert settings.metrics_directory.is_dir()
    assert list(settings.metrics_directory.iterdir()) == []
