"""Who may open a charger socket: subprotocol, identity, registration and Basic auth are
checked before the upgrade and refused with a plain HTTP status."""

import json
from urllib.parse import quote

import pytest
import websockets
from ocpp.v16 import call
from sqlalchemy import select

from domain.db import Database
from domain.models import Charger
from domain.passwords import generate_authorization_key
from domain.services.chargers import create_charger
from tests.live_server import postgres_live_server
from tests.ocpp_client import basic_auth, charger, raw_socket, register_charger, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def refusal(url, **options):
    """The HTTP status, headers and JSON body of a refused upgrade."""

    async def attempt():
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with raw_socket(url, **options):
                pass
        response = refused.value.response
        return response.status_code, response.headers, json.loads(response.body or b"{}")

    return run(attempt())


async def heartbeat_over(url, **options):
    async with charger(url, **options) as cp:
        return await cp.call(call.Heartbeat(), suppress=False)


def test_a_client_not_offering_ocpp16_is_refused_with_400(live_server, live_db):
    name = register_charger(live_db)
    for offered in ((), ("ocpp2.0.1",), ("OCPP1.6",)):
        status, _, body = refusal(live_server.ws_url(name), subprotocols=offered)
        assert status == 400
        assert "ocpp1.6" in body["message"]


def test_ocpp16_is_chosen_among_several_offers(live_server, live_db):
    name = register_charger(live_db)

    async def negotiate():
        async with raw_socket(
            live_server.ws_url(name), subprotocols=("ocpp2.0.1", "ocpp1.6")
        ) as ws:
            return ws.subprotocol

    assert run(negotiate()) == "ocpp1.6"


def test_both_charger_urls_serve_the_same_socket(live_server, live_db):
    name = register_charger(live_db)
    assert run(heartbeat_over(live_server.ws_url(name))).current_time
    assert run(heartbeat_over(live_server.ws_url(name, legacy=True))).current_time
    assert run(heartbeat_over(live_server.ws_url(name, legacy=True).rstrip("/"))).current_time


def test_an_unknown_charger_is_refused_with_404_and_not_created(live_server, live_db):
    status, _, body = refusal(live_server.ws_url("nobody-knows-me"))
    assert (status, body["message"]) == (404, "unknown charge point nobody-knows-me")
    with live_db.unit_of_work() as session:
        assert session.scalar(select(Charger).where(Charger.name == "nobody-knows-me")) is None


def test_an_identity_longer_than_48_characters_is_refused_with_400(live_server):
    status, _, _ = refusal(live_server.ws_url("x" * 49))
    assert status == 400


def test_the_identity_is_percent_decoded(live_server, live_db):
    name = "Hall B: Säule #7+1"
    with live_db.unit_of_work() as session:
        create_charger(session, name)
    url = f"ws://127.0.0.1:{live_server.port}/ocpp/{quote(name, safe='')}"
    assert run(heartbeat_over(url)).current_time


def test_a_charger_with_an_authorization_key_needs_basic_auth(live_server, live_db):
    key = generate_authorization_key()
    name = register_charger(live_db, "secure", authorization_key=key)
    url = live_server.ws_url(name)
    status, headers, body = refusal(url)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic ")
    assert refusal(url, headers=basic_auth(name, "wrong-" + key))[0] == 401
    assert refusal(url, headers=basic_auth("someone-else", key))[0] == 401
    assert refusal(url, headers={"Authorization": "Basic !!not-base64!!"})[0] == 401
    assert refusal(url, headers={"Authorization": f"Bearer {key}"})[0] == 401
    assert run(heartbeat_over(url, headers=basic_auth(name, key))).current_time


def test_a_charger_without_a_key_connects_with_or_without_credentials(live_server, live_db):
    name = register_charger(live_db)
    assert run(heartbeat_over(live_server.ws_url(name), headers=basic_auth(name, "anything")))
    assert run(heartbeat_over(live_server.ws_url(name)))


def test_auto_registration_creates_unknown_chargers_as_pending():
    with postgres_live_server({"OCPP_AUTO_REGISTER": "true"}) as live:
        database = Database(live.database_url)

        async def boot():
            async with charger(live.ws_url("brand-new-7")) as cp:
                return await cp.call(
                    call.BootNotification(charge_point_model="M", charge_point_vendor="V"),
                    suppress=False,
                )

        assert run(boot()).status == "Pending"
        with database.unit_of_work() as session:
            created = session.scalar(select(Charger).where(Charger.name == "brand-new-7"))
            assert (created.registration_status, created.vendor) == ("Pending", "V")
            created.registration_status = "Accepted"  # an operator accepts it
        assert run(boot()).status == "Accepted"
        # The API's list words cannot become charger names, not even by auto-registration.
        for reserved in ("health", "connected"):
            status, _, body = refusal(live.ws_url(reserved))
            assert status == 404 and reserved in body["message"]
        with database.unit_of_work() as session:
            assert session.scalar(select(Charger).where(Charger.name == "health")) is None
        database.dispose()
