"""Schemathesis against the live spec, on PostgreSQL: no 5xx, and no response that breaks
the spec it came from (status codes, content types, headers, bodies)."""

from __future__ import annotations

import tempfile
import uuid
import weakref
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bootstrap import create_app
from domain.models import Role, User
from domain.services.chargers import create_seed_chargers
from domain.services.users import ensure_user
from tests.conftest import make_settings
from tests.services import create_postgres_database, drop_postgres_database
from web.api.chargers import CONNECTED, HEALTH
from web.api.users import ME
from web.auth import issue_tokens
from web.extensions import database
from web.relay import relay

EXAMPLES_PER_OPERATION = 15
# The first user of the fuzzed database, with a name the fuzzer will not guess (so it
# cannot demote or delete the account it runs as).
FUZZ_ADMIN = User(id=1, username=f"admin-{uuid.uuid4().hex}", role=Role.ADMIN)
SEND_COMMAND_PATHS = ("/send-command/", "/send_command/")
EVENT_STREAM = "/api/events"
RESERVED_NAMES = {CONNECTED, HEALTH, ME}
# Bodies that are OCPP payloads, checked against the action's 1.6 schema at run time.
OCPP_PAYLOAD_PATHS = (*SEND_COMMAND_PATHS, "/commands/{action}")


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    from domain import schema as migrations

    url = create_postgres_database()
    migrations.upgrade(url)
    # Commands to chargers that are not connected end at once instead of waiting their bound.
    config = make_settings(
        tmp_path_factory.mktemp("schemathesis"),
        database_url=url,
        command_timeout=0.1,
        command_wait=0.1,
    )
    app = create_app(config)
    with database(app).unit_of_work() as session:
        create_seed_chargers(session)
        admin = ensure_user(session, FUZZ_ADMIN.username, uuid.uuid4().hex, Role.ADMIN)
        assert admin.id == FUZZ_ADMIN.id
    yield app
    relay(app).node.stop()  # its sweep would outlive the database dropped below
    database(app).dispose()
    drop_postgres_database(url)


def spec_only_app():
    """An app that only serves the spec and signs tokens (it never opens its database).

    schemathesis' fixture-based loader does not work with pytest 9, so the schema is loaded
    at import and every call goes to `fuzzed_app`."""
    instance = tempfile.TemporaryDirectory(prefix="voltline-spec-")
    weakref.finalize(spec_only_app, instance.cleanup)
    return create_app(make_settings(Path(instance.name)))


SPEC_APP = spec_only_app()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", SPEC_APP)


def end_event_stream_at_once(case) -> None:
    """An event stream lasts `max_seconds`: a valid fuzzed value becomes 0 (subscribe, then
    close), so each stream ends at once; an invalid one is left to be refused."""
    query = dict(case.query or {})
    value = str(query.get("max_seconds", 0))  # generated as a number or as query text
    if value.isascii() and value.isdigit() and int(value) <= 3600:
        case.query = {**query, "max_seconds": 0}


@schema.auth(refresh_interval=None)
class FreshAdminToken:
    """A new admin token for every call: the fuzzer also calls /api/token/revoke/."""

    def get(self, case, context):
        # Both apps sign with the test settings' JWT secret.
        with SPEC_APP.app_context():
            return issue_tokens(FUZZ_ADMIN)[0]

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@pytest.mark.postgres
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_honours_its_own_spec(case, fuzzed_app):
    # `/api/chargers/connected/`, `/api/chargers/health/` and `/api/users/me/` are routes of
    # their own (OpenAPI gives a concrete path precedence over a template), not a `{name}`
    # that breaks its `not`.
    assume((case.path_parameters or {}).get("name") not in RESERVED_NAMES)
    excluded = []
    if case.operation.path.endswith(OCPP_PAYLOAD_PATHS):
        # req_data's shape depends on `action`: the OCPP 1.6 schema checks it at run time
        # (400 listing violations), so a well-formed but invalid req_data is rightly refused.
        excluded.append(positive_data_acceptance)
    if case.operation.path == EVENT_STREAM:
        end_event_stream_at_once(case)
    case.call_and_validate(app=fuzzed_app, excluded_checks=excluded)
