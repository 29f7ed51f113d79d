"""IdTags: admins manage them, everyone reads them; CiString20 rules."""

from __future__ import annotations

from tests.integration.api.conftest import assert_error


def test_create_read_update_delete(api, auth):
    admin = auth("admin")
    body = {
        "id_tag": "CARD-1",
        "expiry_date": "2030-01-01T00:00:00+02:00",
        "parent_id_tag": "FLEET",
    }
    created = api.post("/api/id-tags/", json=body, headers=admin)
    assert created.status_code == 201
    assert created.get_json()["expiry_date"] == "2029-12-31T22:00:00.000Z"
    assert created.get_json()["status"] == "Accepted"
    assert api.get("/api/id-tags/card-1/", headers=auth("viewer")).get_json()["id_tag"] == "CARD-1"
    changed = api.patch(
        "/api/id-tags/CARD-1/", json={"status": "Blocked", "expiry_date": None}, headers=admin
    ).get_json()
    assert (changed["status"], changed["expiry_date"], changed["parent_id_tag"]) == (
        "Blocked",
        None,
        "FLEET",
    )
    assert api.delete("/api/id-tags/CARD-1/", headers=admin).status_code == 204
    assert_error(api.get("/api/id-tags/CARD-1/", headers=admin), 404)
    assert_error(api.delete("/api/id-tags/CARD-1/", headers=admin), 404)


def test_the_same_tag_in_another_case_is_a_conflict(api, auth):
    assert (
        api.post("/api/id-tags/", json={"id_tag": "abc"}, headers=auth("admin")).status_code == 201
    )
    assert_error(api.post("/api/id-tags/", json={"id_tag": "ABC"}, headers=auth("admin")), 409)


def test_bad_id_tag_bodies_are_422(api, auth):
    for body in (
        {},
        {"id_tag": ""},
        {"id_tag": "x" * 21},
        {"id_tag": "ok", "status": "ConcurrentTx"},
        {"id_tag": "ok", "expiry_date": "tomorrow"},
        {"id_tag": "a/b"},
    ):
        assert_error(api.post("/api/id-tags/", json=body, headers=auth("admin")), 422)
    assert_error(api.patch("/api/id-tags/x/", json={"id_tag": "y"}, headers=auth("admin")), 422)


def test_list_filters(api, auth):
    admin = auth("admin")
    for tag, status in (("A-1", "Accepted"), ("B-1", "Blocked"), ("A-2", "Expired")):
        api.post("/api/id-tags/", json={"id_tag": tag, "status": status}, headers=admin)
    viewer = auth("viewer")
    listed = api.get("/api/id-tags/", headers=viewer).json
    assert [t["id_tag"] for t in listed] == ["A-1", "A-2", "B-1"]
    assert [t["id_tag"] for t in api.get("/api/id-tags/?search=a-", headers=viewer).json] == [
        "A-1",
        "A-2",
    ]
    blocked = api.get("/api/id-tags/?status=Blocked", headers=viewer).json
    assert [t["id_tag"] for t in blocked] == ["B-1"]
