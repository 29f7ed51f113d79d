"""The token's revocation and its user are looked up once per request, never kept longer."""

from __future__ import annotations

from tests.integration.api.conftest import assert_error


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_revoked_by_one_request_is_refused_by_the_next_in_the_same_app_context(
    api, seeded, tokens
):
    access = tokens["viewer"][0]
    with seeded.app_context():
        assert api.get("/api/chargers/", headers=bearer(access)).status_code == 200
        assert api.post("/api/token/revoke/", headers=bearer(access)).status_code == 200
        assert_error(api.get("/api/chargers/", headers=bearer(access)), 401)


def test_a_user_deleted_between_two_requests_in_the_same_app_context_is_refused(
    api, seeded, tokens, auth
):
    access = tokens["viewer"][0]
    with seeded.app_context():
        assert api.get("/api/chargers/", headers=bearer(access)).status_code == 200
        assert api.delete("/api/users/viewer/", headers=auth("admin")).status_code == 204
        assert_error(api.get("/api/chargers/", headers=bearer(access)), 401)
