"""The original design's README, as written, against the embedded server started the
production way (gunicorn + gevent, SQLite, no Redis): `create-user` prints the tokens, the
refresh curl renews the access token, and the send-command bodies get their answers."""

from __future__ import annotations

import re

import pytest
import requests

from tests.live_server import LiveServer

SEED_BODIES = {
    "BootNotification": {
        "chargeBoxSerialNumber": "12345ABC",
        "chargePointModel": "Model-X",
        "chargePointSerialNumber": "67890DEF",
        "chargePointVendor": "VendorXYZ",
        "firmwareVersion": "1.2.3",
        "iccid": "89012345678901234567",
        "imsi": "310260123456789",
        "meterSerialNumber": "1122334455",
    },
    "Heartbeat": {},
    "Authorize": {"idTag": "1234567890AB"},
    "StopTransaction": {"transactionId": 1, "timestamp": "2025-03-22T14:00:00Z", "meterStop": 1050},
}


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        yield live


def printed_tokens(output: str) -> tuple[str, str]:
    access = re.search(r"^JWT Access Token >>>>   (\S+)$", output, re.M).group(1)
    refresh = re.search(r"^JWT Refresh Token >>>>   (\S+)$", output, re.M).group(1)
    return access, refresh


def test_the_refresh_curl_renews_the_printed_access_token(server):
    _, refresh = printed_tokens(server.flask("create-user"))
    # curl -X POST .../api/token/refresh/ -H "Content-Type: application/json" -d '{"refresh": ...}'
    response = requests.post(
        f"{server.base_url}/api/token/refresh/",
        data=f'{{"refresh": "{refresh}"}}',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    access = response.json()["access"]
    chargers = requests.get(
        f"{server.base_url}/api/chargers/",
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    )
    assert [c["name"] for c in chargers.json()] == ["charger_1", "charger_2", "charger_3"]


@pytest.mark.parametrize("path", ["send-command", "send_command"])
def test_the_send_command_bodies_are_answered(server, path):
    access, _ = printed_tokens(server.flask("create-user"))
    headers = {"Authorization": f"Bearer {access}"}
    answers = {}
    for action, req_data in SEED_BODIES.items():
        response = requests.post(
            f"{server.base_url}/api/chargers/charger_1/{path}/",
            json={"command": {"action": action, "req_data": req_data}},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 200, (action, response.text)
        answers[action] = response.json()
    assert answers["BootNotification"]["status"] == "Accepted"
    assert answers["Heartbeat"]["currentTime"].endswith("Z")
    assert answers["Authorize"] == {"idTagInfo": {"status": "Invalid"}}
    assert answers["StopTransaction"] == {}
    transactions = requests.get(f"{server.base_url}/api/transactions/", headers=headers, timeout=10)
    assert transactions.json() == []  # a stop for an unknown transaction is recorded, not invented
