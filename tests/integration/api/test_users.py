"""Users: admins manage accounts; passwords never come back; an admin always remains."""

from __future__ import annotations

from tests.integration.api.conftest import assert_error


def test_admin_creates_a_user_who_can_log_in(api, auth):
    body = {"username": "dana", "password": "long-enough-1", "role": "operator"}
    created = api.post("/api/users/", json=body, headers=auth("admin"))
    assert created.status_code == 201
    assert set(created.get_json()) == {"username", "role", "created_at"}
    login = api.post("/api/token/", json={"username": "dana", "password": "long-enough-1"})
    assert login.status_code == 200
    assert_error(api.post("/api/users/", json=body, headers=auth("admin")), 409)


def test_new_users_are_viewers_unless_told(api, auth):
    body = {"username": "eve", "password": "long-enough-2"}
    assert api.post("/api/users/", json=body, headers=auth("admin")).get_json()["role"] == "viewer"


def test_bad_user_bodies_are_422(api, auth):
    for body in (
        {"username": "x", "password": "short"},
        {"username": "", "password": "long-enough-3"},
        {"username": "x", "password": "long-enough-3", "role": "root"},
        {"username": "x"},
    ):
        assert_error(api.post("/api/users/", json=body, headers=auth("admin")), 422)


def test_password_change_takes_effect(api, auth):
    api.patch("/api/users/viewer/", json={"password": "brand-new-pass"}, headers=auth("admin"))
    login = api.post("/api/token/", json={"username": "viewer", "password": "brand-new-pass"})
    assert login.status_code == 200


def test_the_last_admin_cannot_be_demoted_or_deleted(api, auth):
    admin = auth("admin")
    assert_error(api.patch("/api/users/admin/", json={"role": "viewer"}, headers=admin), 409)
    assert_error(api.delete("/api/users/admin/", headers=admin), 409)
    api.patch("/api/users/operator/", json={"role": "admin"}, headers=admin)
    assert api.delete("/api/users/admin/", headers=auth("operator")).status_code == 204


def test_list_and_me_never_show_password_hashes(api, auth):
    listed = api.get("/api/users/?role=viewer", headers=auth("admin"))
    assert [u["username"] for u in listed.json] == ["viewer"]
    assert "pbkdf2" not in listed.get_data(as_text=True)
    me = api.get("/api/users/me/", headers=auth("operator")).get_json()
    assert me == {"username": "operator", "role": "operator", "created_at": me["created_at"]}
    assert_error(api.get("/api/users/nobody/", headers=auth("admin")), 404)
