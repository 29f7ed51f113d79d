"""The event stream takes a short-lived, one-use ticket (POST /api/events/ticket/) instead of
an access token in its URL; a ticket asked on one node opens a stream on another (Redis)."""

from __future__ import annotations

import time

import pytest

from bootstrap import create_app
from domain.models import Role
from domain.services.users import delete_user, ensure_user
from tests.conftest import make_settings
from web.access import event_tickets
from web.auth import issue_tokens
from web.extensions import database


def bearer_for(app, username: str, role: Role = Role.VIEWER) -> dict[str, str]:
    with app.app_context(), database(app).unit_of_work() as session:
        user = ensure_user(session, username, "password-1234", role)
        return {"Authorization": f"Bearer {issue_tokens(user)[0]}"}


def open_stream(client, query: str, **options):
    reply = client.get(f"/api/events?max_seconds=0&{query}", buffered=True, **options)
    reply.close()
    return reply


def ask_ticket(client, headers) -> str:
    answer = client.post("/api/events/ticket/", headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.json["expires_in"] == 60
    return answer.json["ticket"]


def test_an_access_token_in_the_url_is_refused(app, client):
    token = bearer_for(app, "viewer")["Authorization"].split()[1]
    for parameter in ("access_token", "jwt"):
        refused = open_stream(client, f"{parameter}={token}")
        assert refused.status_code == 401, parameter
        assert refused.json["code"] == 401
    assert "ticket" in open_stream(client, f"access_token={token}").json["message"]


def test_a_ticket_opens_one_stream_only(app, client):
    ticket = ask_ticket(client, bearer_for(app, "viewer"))
    opened = open_stream(client, f"ticket={ticket}")
    assert opened.status_code == 200 and opened.mimetype == "text/event-stream"
    again = open_stream(client, f"ticket={ticket}")
    assert again.status_code == 401
    assert again.json["message"] == "the ticket is unknown, used or expired"


def test_an_unknown_ticket_is_refused(client):
    assert open_stream(client, "ticket=made-up").status_code == 401


def test_a_ticket_needs_a_bearer_token(client):
    assert client.post("/api/events/ticket/").status_code == 401


def test_a_ticket_of_a_deleted_user_opens_nothing(app, client):
    ticket = ask_ticket(client, bearer_for(app, "leaver"))
    with app.app_context(), database(app).unit_of_work() as session:
        delete_user(session, "leaver")
    assert open_stream(client, f"ticket={ticket}").status_code == 401


def test_the_bearer_header_still_opens_a_stream(app, client):
    assert open_stream(client, "", headers=bearer_for(app, "viewer")).status_code == 200


def test_the_stream_ends_when_the_access_token_it_was_asked_with_expires(app, client):
    bearer_for(app, "viewer")
    with app.app_context():
        with database(app).unit_of_work() as session:
            user_id = ensure_user(session, "viewer", "unused", Role.VIEWER).id
        ticket = event_tickets().issue(user_id, until=time.time() - 1)
    reply = client.get(f"/api/events?ticket={ticket}&max_seconds=300", buffered=False)
    assert reply.status_code == 200
    chunks = list(reply.response)  # the stream closes at once: only its preface
    reply.close()
    assert b"".join(chunks).decode().endswith(": subscribed\n\n")


@pytest.mark.redis
def test_a_ticket_asked_on_one_node_opens_a_stream_on_another_once(tmp_path, sqlite_url, redis_url):
    first, second = (
        create_app(make_settings(tmp_path, database_url=sqlite_url, redis_url=redis_url))
        for _ in range(2)
    )
    ticket = ask_ticket(first.test_client(), bearer_for(first, "viewer"))
    assert open_stream(second.test_client(), f"ticket={ticket}").status_code == 200
    assert open_stream(first.test_client(), f"ticket={ticket}").status_code == 401
