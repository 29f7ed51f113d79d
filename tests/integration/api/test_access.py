"""Every route without a token, and with each role's token: 401, 403 or its success."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.models import Role
from domain.services.charger_calls import CallContext, answer_charger_call
from domain.services.chargers import get_charger
from domain.services.id_tags import create_id_tag
from tests.integration.api.conftest import assert_error
from web.auth import ROLE_RANK
from web.extensions import database

HEARTBEAT = {"command": {"action": "Heartbeat", "req_data": {}}}

# (method, path as in the spec, JSON body, least role allowed, status on success)
ROUTES = [
    ("get", "/api/chargers/", None, Role.VIEWER, 200),
    ("post", "/api/chargers/", {"name": "charger_9"}, Role.ADMIN, 201),
    ("get", "/api/chargers/connected/", None, Role.VIEWER, 200),
    ("get", "/api/chargers/{name}/", None, Role.VIEWER, 200),
    ("patch", "/api/chargers/{name}/", {"location": "Giza"}, Role.ADMIN, 200),
    ("delete", "/api/chargers/{name}/", None, Role.ADMIN, 204),
    ("post", "/api/chargers/{name}/authorization-key/", {}, Role.ADMIN, 200),
    ("delete", "/api/chargers/{name}/authorization-key/", None, Role.ADMIN, 204),
    ("get", "/api/connectors/", None, Role.VIEWER, 200),
    ("get", "/api/chargers/{name}/connectors/{connector_id}/", None, Role.VIEWER, 200),
    ("post", "/api/chargers/{name}/send-command/", HEARTBEAT, Role.OPERATOR, 200),
    ("post", "/api/chargers/{name}/send_command/", HEARTBEAT, Role.OPERATOR, 200),
    ("get", "/api/chargers/{name}/messages/", None, Role.VIEWER, 200),
    ("get", "/api/transactions/", None, Role.VIEWER, 200),
    ("get", "/api/transactions/{transaction_id}/", None, Role.VIEWER, 200),
    ("get", "/api/transactions/{transaction_id}/meter-values/", None, Role.VIEWER, 200),
    ("get", "/api/transactions/{transaction_id}/energy/", None, Role.VIEWER, 200),
    ("get", "/api/chargers/health/", None, Role.VIEWER, 200),
    ("get", "/api/chargers/{name}/health/", None, Role.VIEWER, 200),
    ("get", "/api/chargers/{name}/health/timeline/", None, Role.VIEWER, 200),
    ("get", "/api/status-logs/", None, Role.VIEWER, 200),
    ("get", "/api/id-tags/", None, Role.VIEWER, 200),
    ("post", "/api/id-tags/", {"id_tag": "NEWTAG"}, Role.ADMIN, 201),
    ("get", "/api/id-tags/{tag}/", None, Role.VIEWER, 200),
    ("patch", "/api/id-tags/{tag}/", {"status": "Blocked"}, Role.ADMIN, 200),
    ("delete", "/api/id-tags/{tag}/", None, Role.ADMIN, 204),
    ("get", "/api/users/", None, Role.ADMIN, 200),
    ("post", "/api/users/", {"username": "newbie", "password": "long-enough"}, Role.ADMIN, 201),
    ("get", "/api/users/me/", None, Role.VIEWER, 200),
    ("get", "/api/users/{name}/", None, Role.ADMIN, 200),
    ("patch", "/api/users/{name}/", {"password": "another-one"}, Role.ADMIN, 200),
    ("delete", "/api/users/{name}/", None, Role.ADMIN, 204),
    ("post", "/api/token/revoke/", {}, Role.VIEWER, 200),
]
# The resources of this table (the relay's commands are tested with the relay).
TAGS = {"tokens", "chargers", "connectors", "send-command", "messages", "transactions"}
TAGS |= {"status-logs", "id-tags", "users", "charger-health"}
# Asking for a token needs none.
PUBLIC = {("post", "/api/token/"), ("post", "/api/token/refresh/")}
CALLERS = (None, Role.VIEWER, Role.OPERATOR, Role.ADMIN)


@pytest.fixture
def transaction_id(seeded) -> int:
    """One transaction on charger_1 and the idTag TAG-1, made by the domain services."""
    now = datetime(2025, 3, 22, 12, tzinfo=UTC)
    with database(seeded).unit_of_work() as session:
        create_id_tag(session, "TAG-1")
        charger = get_charger(session, "charger_1")
        payload = {
            "connectorId": 1,
            "idTag": "TAG-1",
            "meterStart": 0,
            "timestamp": now.isoformat(),
        }
        conf = answer_charger_call(
            session, charger, "StartTransaction", payload, CallContext(now, 300)
        )
    return conf["transactionId"]


def url_of(path: str, transaction_id: int) -> str:
    name = "viewer" if path.startswith("/api/users/") else "charger_1"
    return path.format(name=name, connector_id=1, tag="TAG-1", transaction_id=transaction_id)


def test_the_table_covers_every_documented_operation(api):
    spec = api.get("/api/openapi.json").get_json()
    documented = {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters" and set(operation["tags"]) & TAGS
    }
    assert documented - PUBLIC == {(method, path) for method, path, *_ in ROUTES}


@pytest.mark.parametrize(("method", "path", "body", "least", "success"), ROUTES)
def test_route_needs_a_token_and_the_least_role(
    api, auth, transaction_id, method, path, body, least, success
):
    url = url_of(path, transaction_id)
    for caller in CALLERS:
        headers = auth(caller) if caller else {}
        response = getattr(api, method)(url, json=body, headers=headers)
        if caller is None:
            assert_error(response, 401)
        elif ROLE_RANK[caller] < ROLE_RANK[least]:
            assert_error(response, 403)
        else:
            assert response.status_code == success, (caller, response.get_data(as_text=True))
