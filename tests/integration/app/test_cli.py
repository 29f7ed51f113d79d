"""The original design's management commands, as Flask CLI commands."""

import re

import pytest
from flask_jwt_extended import decode_token
from sqlalchemy import select

from bootstrap import create_app
from domain.models import Charger, Connector, User
from tests.conftest import make_settings


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def seed_chargers_in(app):
    run(app, "create-chargers")
    run(app, "create-chargers")
    with app.extensions["voltline.db"].unit_of_work() as session:
        chargers = session.scalars(select(Charger).order_by(Charger.name)).all()
        summary = [
            (c.name, c.location, [(x.connector_id, x.connector_tag) for x in c.connectors])
            for c in chargers
        ]
        assert all(len(c.id_tag) == 36 for c in chargers)
        assert session.query(Connector).count() == 6
    return summary


EXPECTED = [
    ("charger_1", "Tagmo3", [(1, "connector_1"), (2, "connector_2")]),
    ("charger_2", "Zayed", [(1, "connector_1"), (2, "connector_2")]),
    ("charger_3", "Shrouk", [(1, "connector_1"), (2, "connector_2")]),
]


def test_create_chargers_is_idempotent(app):
    assert seed_chargers_in(app) == EXPECTED


@pytest.mark.postgres
def test_create_chargers_on_postgres(tmp_path, postgres_url):
    assert (
        seed_chargers_in(create_app(make_settings(tmp_path, database_url=postgres_url))) == EXPECTED
    )


def test_create_user_prints_the_seed_token_lines(app):
    output = run(app, "create-user")
    access = re.search(r"^JWT Access Token >>>>   (\S+)$", output, re.M).group(1)
    refresh = re.search(r"^JWT Refresh Token >>>>   (\S+)$", output, re.M).group(1)
    with app.app_context():
        assert decode_token(access)["type"] == "access"
        assert decode_token(refresh)["type"] == "refresh"
        assert decode_token(access)["role"] == "admin"
    run(app, "create-user")
    run(app, "create-user", "--username", "eve", "--password", "pw", "--role", "viewer")
    with app.extensions["voltline.db"].unit_of_work() as session:
        roles = dict(session.execute(select(User.username, User.role)).all())
    assert roles == {"admin": "admin", "eve": "viewer"}
