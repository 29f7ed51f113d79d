"""POST /api/token/, /refresh/, /revoke/: the original design's shapes and a lasting blocklist."""

from __future__ import annotations

import re
from datetime import timedelta

from flask_jwt_extended import create_access_token, decode_token

from bootstrap import create_app
from domain.models import Role
from tests.conftest import PASSWORD, make_settings
from tests.integration.api.conftest import assert_error


def login(api, username="admin", password=PASSWORD):
    return api.post("/api/token/", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_an_access_and_a_refresh_token_carrying_the_role(api, seeded):
    response = login(api, "operator")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access", "refresh"}
    with seeded.app_context():
        assert decode_token(body["access"])["type"] == "access"
        assert decode_token(body["refresh"])["type"] == "refresh"
        assert decode_token(body["access"])["role"] == "operator"
    assert api.get("/api/chargers/", headers=bearer(body["access"])).status_code == 200


def test_access_token_lives_as_long_as_the_settings_say(tmp_path, sqlite_url):
    app = create_app(make_settings(tmp_path, database_url=sqlite_url, jwt_access_minutes=5))
    with app.app_context():
        claims = decode_token(create_access_token(identity="1"))
    assert claims["exp"] - claims["iat"] == 300


def test_wrong_password_and_unknown_user_are_401(api):
    assert_error(login(api, "admin", "wrong"), 401)
    assert_error(login(api, "nobody", PASSWORD), 401)


def test_login_with_a_bad_body_is_422_naming_the_fields(api):
    body = assert_error(api.post("/api/token/", json={"username": "admin"}), 422)
    assert "password" in body["errors"]["json"]
    assert_error(api.post("/api/token/", json=["admin", PASSWORD]), 422)
    invalid_json = api.post("/api/token/", data="{", content_type="application/json")
    assert_error(invalid_json, 400)


def test_refresh_gives_a_new_access_token(api, tokens):
    response = api.post("/api/token/refresh/", json={"refresh": tokens["viewer"][1]})
    assert response.status_code == 200
    access = response.get_json()["access"]
    assert set(response.get_json()) == {"access"}
    assert api.get("/api/users/me/", headers=bearer(access)).get_json()["username"] == "viewer"


def test_refresh_refuses_access_tokens_garbage_and_missing_fields(api, tokens):
    assert_error(api.post("/api/token/refresh/", json={"refresh": tokens["viewer"][0]}), 401)
    assert_error(api.post("/api/token/refresh/", json={"refresh": "not-a-jwt"}), 401)
    assert_error(api.post("/api/token/refresh/", json={}), 422)


def test_a_refresh_token_is_not_an_access_token(api, tokens):
    assert_error(api.get("/api/chargers/", headers=bearer(tokens["admin"][1])), 401)


def test_expired_and_forged_tokens_are_401(api, seeded, tokens):
    with seeded.app_context():
        expired = create_access_token(identity="1", expires_delta=timedelta(seconds=-60))
    assert (
        "expired"
        in assert_error(api.get("/api/chargers/", headers=bearer(expired)), 401)["message"]
    )
    forged = tokens["viewer"][0][:-4] + "AAAA"
    assert_error(api.get("/api/chargers/", headers=bearer(forged)), 401)
    assert_error(api.get("/api/chargers/", headers={"Authorization": "Basic abc"}), 401)


def test_revoked_access_token_is_refused_even_after_a_restart(api, tokens, settings):
    access = tokens["operator"][0]
    response = api.post("/api/token/revoke/", headers=bearer(access))
    assert response.status_code == 200
    assert response.get_json() == {"revoked": 1}
    assert (
        "revoked" in assert_error(api.get("/api/chargers/", headers=bearer(access)), 401)["message"]
    )
    restarted = create_app(settings).test_client()
    assert_error(restarted.get("/api/chargers/", headers=bearer(access)), 401)
    assert restarted.get("/api/chargers/", headers=bearer(tokens["admin"][0])).status_code == 200


def test_log_out_revokes_the_access_and_the_refresh_token(api, tokens):
    access, refresh = tokens["viewer"]
    response = api.post("/api/token/revoke/", json={"refresh": refresh}, headers=bearer(access))
    assert response.get_json() == {"revoked": 2}
    assert_error(api.post("/api/token/refresh/", json={"refresh": refresh}), 401)


def test_a_refresh_token_can_revoke_itself(api, tokens):
    refresh = tokens["viewer"][1]
    assert api.post("/api/token/revoke/", headers=bearer(refresh)).status_code == 200
    assert_error(api.post("/api/token/refresh/", json={"refresh": refresh}), 401)


def test_nobody_revokes_another_users_token(api, tokens):
    response = api.post(
        "/api/token/revoke/",
        json={"refresh": tokens["admin"][1]},
        headers=bearer(tokens["viewer"][0]),
    )
    assert_error(response, 403)
    assert api.post("/api/token/refresh/", json={"refresh": tokens["admin"][1]}).status_code == 200


def test_revoke_without_a_token_is_401(api):
    assert_error(api.post("/api/token/revoke/", json={}), 401)


def test_a_deleted_users_tokens_stop_working(api, auth, tokens):
    assert api.delete("/api/users/viewer/", headers=auth("admin")).status_code == 204
    assert_error(api.get("/api/chargers/", headers=auth("viewer")), 401)
    assert_error(api.post("/api/token/refresh/", json={"refresh": tokens["viewer"][1]}), 401)


def test_a_role_change_takes_effect_at_once(api, auth):
    assert_error(
        api.post(
            "/api/chargers/charger_1/send-command/",
            headers=auth("viewer"),
            json={"command": {"action": "Heartbeat", "req_data": {}}},
        ),
        403,
    )
    response = api.patch("/api/users/viewer/", json={"role": Role.OPERATOR}, headers=auth("admin"))
    assert response.get_json()["role"] == "operator"
    heartbeat = {"command": {"action": "Heartbeat", "req_data": {}}}
    sent = api.post("/api/chargers/charger_1/send-command/", headers=auth("viewer"), json=heartbeat)
    assert sent.status_code == 200


def test_the_tokens_create_user_prints_work(seeded):
    output = seeded.test_cli_runner().invoke(args=["create-user", "--username", "cli"]).output
    access = re.search(r"^JWT Access Token >>>>   (\S+)$", output, re.M).group(1)
    refresh = re.search(r"^JWT Refresh Token >>>>   (\S+)$", output, re.M).group(1)
    api = seeded.test_client()
    assert api.get("/api/chargers/", headers=bearer(access)).status_code == 200
    renewed = api.post("/api/token/refresh/", json={"refresh": refresh}).get_json()["access"]
    assert api.get("/api/users/me/", headers=bearer(renewed)).get_json()["username"] == "cli"
