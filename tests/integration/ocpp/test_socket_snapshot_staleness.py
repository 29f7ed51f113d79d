"""A lost relay message cannot leave a socket answering from an old snapshot for long: every
PRESENCE_TTL / 3 seconds the node compares its sockets' snapshots with their rows and takes
the stale ones again."""

import uuid

import pytest
from ocpp.v16 import call
from sqlalchemy import update

from domain.db import Database
from domain.models import Charger, RegistrationStatus
from domain.services.id_tags import create_id_tag
from tests.charger import LiveCharger
from tests.live_server import postgres_live_server
from tests.ocpp_client import eventually, register_charger

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_a_registration_changed_behind_the_sockets_back_is_picked_up_within_a_check_period():
    # PRESENCE_TTL 6: the node checks every 2 s.
    with postgres_live_server({"PRESENCE_TTL": "6"}) as server:
        database = Database(server.database_url)
        try:
            name = register_charger(database, "snap-stale")
            tag = f"S{uuid.uuid4().hex[:12]}"
            with database.unit_of_work() as session:
                create_id_tag(session, tag)
            with LiveCharger(server.ws_url(name), name) as charger:

                def authorized() -> str:
                    return charger.call(call.Authorize(id_tag=tag)).id_tag_info["status"]

                assert authorized() == "Accepted"
                with database.unit_of_work() as session:  # no ChargerChanged is published
                    session.execute(
                        update(Charger)
                        .where(Charger.name == name)
                        .values(registration_status=RegistrationStatus.PENDING)
                    )
                # Without a boot or a relay message the socket learns it from the check.
                assert eventually(lambda: authorized() == "Invalid", timeout=15, interval=0.5)
        finally:
            database.dispose()
