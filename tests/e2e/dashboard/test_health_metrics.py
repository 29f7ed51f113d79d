"""GET /metrics carries each charger's health score and counts replaced/dropped sockets and
protocol errors by code."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from domain.clock import utcnow
from domain.models import SocketEventKind
from domain.services.chargers import create_charger
from domain.services.health import refresh_rollups
from domain.services.socket_events import SocketEnd, record_socket_ends
from web import metrics
from web.extensions import database


def samples(client) -> dict[tuple[str, frozenset], float]:
    body = client.get("/metrics").get_data(as_text=True)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def test_each_charger_has_its_health_score_from_the_latest_rollup(app, client):
    now = utcnow()
    with database(app).unit_of_work() as session:
        create_charger(session, "steady")
        create_charger(session, "twin")
        record_socket_ends(session, [SocketEnd("twin", SocketEventKind.REPLACED, now, None)])
    with database(app).unit_of_work() as session:
        refresh_rollups(session, now=utcnow(), heartbeat_interval=300)

    scraped = samples(client)

    twin = scraped[("voltline_charger_health_score", frozenset({("charger", "twin")}))]
    steady = scraped[("voltline_charger_health_score", frozenset({("charger", "steady")}))]
    assert twin == steady - 10  # one replaced connection


def test_socket_ends_and_protocol_errors_are_counted_by_kind_and_code(client):
    before = samples(client)
    metrics.record_socket_end(SocketEventKind.REPLACED)
    metrics.record_socket_end(SocketEventKind.DROPPED)
    metrics.record_socket_end(SocketEventKind.DROPPED)
    metrics.record_ocpp_message("Heartbeat", "FormationViolation")
    metrics.record_ocpp_message("Heartbeat", metrics.CALLRESULT)

    after = samples(client)

    def moved(name: str, **labels) -> float:
        key = (name, frozenset(labels.items()))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("voltline_charger_socket_ends_total", how="replaced") == 1
    assert moved("voltline_charger_socket_ends_total", how="dropped") == 2
    assert moved("voltline_ocpp_protocol_errors_total", code="FormationViolation") == 1
    assert moved("voltline_ocpp_protocol_errors_total", code="CALLRESULT") == 0
