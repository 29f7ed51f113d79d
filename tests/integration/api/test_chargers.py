"""Chargers: AuthorizationKeys shown once, never their hashes; edits, deletes, connectors."""

from __future__ import annotations

import json

from sqlalchemy import select

from domain.models import Charger, ChargerStatus
from domain.passwords import verify_secret
from tests.integration.api.conftest import assert_error
from web.extensions import database

KEY = "a-key-of-twenty-chars"


def stored_key_hash(app, name: str) -> str | None:
    with database(app).unit_of_work() as session:
        return session.scalar(select(Charger.authorization_key_hash).where(Charger.name == name))


def mark_connected(app, name: str) -> None:
    with database(app).unit_of_work() as session:
        session.scalar(select(Charger).where(Charger.name == name)).status = ChargerStatus.CONNECTED


def test_created_key_is_returned_once_and_never_again(api, auth, seeded):
    body = {"name": "CP-7", "authorization_key": KEY, "connector_ids": [2, 1, 2]}
    created = api.post("/api/chargers/", json=body, headers=auth("admin"))
    assert created.status_code == 201
    assert created.get_json()["authorization_key"] == KEY
    assert created.get_json()["has_authorization_key"] is True
    assert [c["connector_id"] for c in created.get_json()["connectors"]] == [1, 2]
    assert verify_secret(KEY, stored_key_hash(seeded, "CP-7"))
    for path in ("/api/chargers/CP-7/", "/api/chargers/"):
        text = api.get(path, headers=auth("viewer")).get_data(as_text=True)
        assert KEY not in text and "pbkdf2" not in text and "authorization_key_hash" not in text
    assert "authorization_key" not in api.get("/api/chargers/CP-7/", headers=auth("admin")).json


def test_a_generated_key_is_40_characters_and_works(api, auth, seeded):
    body = {"name": "CP-8", "generate_authorization_key": True}
    key = api.post("/api/chargers/", json=body, headers=auth("admin")).get_json()[
        "authorization_key"
    ]
    assert len(key) == 40 and verify_secret(key, stored_key_hash(seeded, "CP-8"))


def test_a_given_key_wins_over_generating_one(api, auth):
    body = {"name": "CP-10", "authorization_key": KEY, "generate_authorization_key": True}
    created = api.post("/api/chargers/", json=body, headers=auth("admin")).get_json()
    assert created["authorization_key"] == KEY


def test_a_charger_without_key_says_so(api, auth):
    created = api.post("/api/chargers/", json={"name": "CP-9"}, headers=auth("admin")).get_json()
    assert created["authorization_key"] is None and created["has_authorization_key"] is False
    assert created["status"] == "Disconnected" and created["registration_status"] == "Accepted"


def test_regenerate_set_and_clear_the_key(api, auth, seeded):
    path = "/api/chargers/charger_1/authorization-key/"
    first = api.post(path, json={}, headers=auth("admin")).get_json()["authorization_key"]
    second = api.post(path, headers=auth("admin")).get_json()["authorization_key"]
    assert first != second and verify_secret(second, stored_key_hash(seeded, "charger_1"))
    chosen = api.post(path, json={"authorization_key": KEY}, headers=auth("admin"))
    assert chosen.get_json() == {"authorization_key": KEY}
    assert verify_secret(KEY, stored_key_hash(seeded, "charger_1"))
    assert api.delete(path, headers=auth("admin")).status_code == 204
    assert stored_key_hash(seeded, "charger_1") is None
    assert_error(api.post("/api/chargers/nope/authorization-key/", headers=auth("admin")), 404)


def test_bad_charger_bodies_are_422_and_change_nothing(api, auth, seeded):
    bad = [
        {},
        {"name": ""},
        {"name": "x" * 49},
        {"name": "a/b"},
        {"name": "ok", "authorization_key": "short"},
        {"name": "ok", "generate_authorization_key": 1},
        {"name": "ok", "registration_status": "Maybe"},
        {"name": "ok", "connector_ids": [0]},
        {"name": "ok", "unexpected": 1},
        {"name": "ok", "location": "nul\u0000byte"},
    ]
    for body in bad:
        assert_error(api.post("/api/chargers/", json=body, headers=auth("admin")), 422)
    names = [c["name"] for c in api.get("/api/chargers/", headers=auth("admin")).json]
    assert names == ["charger_1", "charger_2", "charger_3"]


def test_duplicate_name_is_409(api, auth):
    assert_error(api.post("/api/chargers/", json={"name": "charger_1"}, headers=auth("admin")), 409)


def test_patch_changes_location_and_registration(api, auth):
    body = {"location": None, "registration_status": "Pending"}
    changed = api.patch("/api/chargers/charger_2/", json=body, headers=auth("admin")).get_json()
    assert changed["location"] is None and changed["registration_status"] == "Pending"
    assert_error(
        api.patch("/api/chargers/charger_2/", json={"name": "x"}, headers=auth("admin")), 422
    )
    assert_error(api.patch("/api/chargers/none/", json={}, headers=auth("admin")), 404)


def test_delete_removes_a_disconnected_charger_but_not_a_connected_one(api, auth, seeded):
    mark_connected(seeded, "charger_1")
    assert_error(api.delete("/api/chargers/charger_1/", headers=auth("admin")), 409)
    assert api.delete("/api/chargers/charger_2/", headers=auth("admin")).status_code == 204
    assert_error(api.get("/api/chargers/charger_2/", headers=auth("viewer")), 404)
    assert_error(api.delete("/api/chargers/charger_2/", headers=auth("admin")), 404)
    connectors = api.get("/api/connectors/?charger=charger_2", headers=auth("viewer")).json
    assert connectors == []


def test_connected_is_a_bare_array_of_connected_chargers(api, auth, seeded):
    assert api.get("/api/chargers/connected/", headers=auth("viewer")).get_json() == []
    mark_connected(seeded, "charger_2")
    connected = api.get("/api/chargers/connected/", headers=auth("viewer")).get_json()
    assert [c["name"] for c in connected] == ["charger_2"]
    assert connected[0]["status"] == "Connected"


def test_list_filters_and_pages_with_an_x_pagination_header(api, auth, seeded):
    mark_connected(seeded, "charger_3")
    viewer = auth("viewer")
    response = api.get("/api/chargers/?page_size=2&page=2", headers=viewer)
    assert [c["name"] for c in response.json] == ["charger_3"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    connected = api.get("/api/chargers/?status=Connected", headers=viewer).json
    assert [c["name"] for c in connected] == ["charger_3"]
    assert [c["name"] for c in api.get("/api/chargers/?search=ZAY", headers=viewer).json] == [
        "charger_2"
    ]
    assert api.get("/api/chargers/?page=99", headers=viewer).json == []
    assert_error(api.get("/api/chargers/?status=Sleeping", headers=viewer), 422)
    assert_error(api.get("/api/chargers/?page_size=0", headers=viewer), 422)


def test_charger_detail_shows_its_connectors_in_the_seed_words(api, auth):
    charger = api.get("/api/chargers/charger_1/", headers=auth("viewer")).get_json()
    assert charger["location"] == "Tagmo3"
    assert [
        (c["connector_id"], c["connector_tag"], c["status"]) for c in charger["connectors"]
    ] == [
        (1, "connector_1", "AVAILABLE"),
        (2, "connector_2", "AVAILABLE"),
    ]
    assert len(charger["id_tag"]) == 36


def test_connector_detail_and_list(api, auth):
    viewer = auth("viewer")
    one = api.get("/api/chargers/charger_2/connectors/2/", headers=viewer).get_json()
    assert (one["charger"], one["connector_id"], one["connector_tag"]) == (
        "charger_2",
        2,
        "connector_2",
    )
    assert_error(api.get("/api/chargers/charger_2/connectors/3/", headers=viewer), 404)
    listed = api.get("/api/connectors/?status=AVAILABLE&charger=charger_3", headers=viewer).json
    assert [(c["charger"], c["connector_id"]) for c in listed] == [
        ("charger_3", 1),
        ("charger_3", 2),
    ]
    assert api.get("/api/connectors/?status=FAULTY", headers=viewer).json == []
