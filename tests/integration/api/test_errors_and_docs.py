"""One JSON error shape for every failure; the spec and Swagger UI are public."""

from __future__ import annotations

import re

from tests.integration.api.conftest import assert_error


def test_every_failure_has_the_one_json_shape(api, auth):
    admin = auth("admin")
    assert_error(api.post("/api/token/", data="{", content_type="application/json"), 400)
    assert_error(api.get("/api/chargers/"), 401)
    assert_error(api.get("/api/users/", headers=auth("viewer")), 403)
    assert_error(api.get("/api/chargers/nope/", headers=admin), 404)
    assert_error(api.get("/api/no-such-thing/", headers=admin), 404)
    assert_error(api.post("/api/chargers/", json={"name": "charger_1"}, headers=admin), 409)
    assert_error(api.post("/api/chargers/", json={"name": 7}, headers=admin), 422)


def test_405_keeps_the_allow_header(api, auth):
    response = api.put("/api/chargers/", json={}, headers=auth("admin"))
    assert_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_validation_errors_name_the_field_and_location(api, auth):
    body = assert_error(api.get("/api/transactions/?status=nope", headers=auth("viewer")), 422)
    assert "status" in body["errors"]["query"]
    body = assert_error(api.post("/api/id-tags/", json={}, headers=auth("admin")), 422)
    assert "id_tag" in body["errors"]["json"]


def test_a_body_that_is_not_json_is_refused_as_json(api, auth):
    response = api.post(
        "/api/chargers/", data="name=x", content_type="text/plain", headers=auth("admin")
    )
    assert_error(response, 422)


def test_spec_and_swagger_ui_need_no_token(api):
    spec = api.get("/api/openapi.json")
    assert spec.status_code == 200
    document = spec.get_json()
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    docs = api.get("/api/docs")
    assert docs.status_code == 200 and docs.mimetype == "text/html"
    page = docs.get_data(as_text=True)
    assert "/api/openapi.json" in page


def test_swagger_ui_assets_are_served_locally_not_from_a_cdn(api):
    page = api.get("/api/docs").get_data(as_text=True)
    assert "://" not in page.split("<body>")[0]
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        response = api.get(asset)
        assert response.status_code == 200, asset
        # Swagger UI's own files, and the small script that starts it without inline code.
        assert len(response.get_data()) > (1000 if "/assets/" in asset else 100), asset


def test_every_operation_documents_its_errors_with_the_error_schema(api):
    document = api.get("/api/openapi.json").get_json()
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "status", "message", "errors"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
