"""The one query behind every authenticated request: the token's revocation and its user,
on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.models import Role
from domain.services.users import delete_user, ensure_user, revoke_token, token_holder

EXPIRES = datetime.now(UTC) + timedelta(hours=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def holder(database, jti: str, user_id: int):
    with database.unit_of_work() as session:
        return token_holder(session, jti, user_id)


def test_a_live_token_gives_its_user_as_stored(database):
    with database.unit_of_work() as session:
        user = ensure_user(session, "ops", "a-password", Role.OPERATOR)
        stored = (user.id, user.username, user.role, user.password_hash, user.created_at)
    revoked, found = holder(database, "live", stored[0])
    assert revoked is False
    assert (found.id, found.username, found.role, found.password_hash, found.created_at) == stored


def test_a_revoked_token_is_revoked_at_once_with_or_without_its_user(database):
    with database.unit_of_work() as session:
        user_id = ensure_user(session, "ops", "a-password", Role.OPERATOR).id
        ensure_user(session, "admin", "a-password", Role.ADMIN)
    with database.unit_of_work() as session:
        revoke_token(session, "gone", EXPIRES)
    assert holder(database, "gone", user_id)[0] is True
    assert holder(database, "other", user_id)[0] is False
    with database.unit_of_work() as session:
        delete_user(session, "ops")
    assert holder(database, "gone", user_id) == (True, None)
    assert holder(database, "other", user_id) == (False, None)
