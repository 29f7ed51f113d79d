"""`/` and `/dashboard`: plain pages that work offline and carry no data or secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[3] / "web" / "static" / "dashboard"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//|(?:from|import)\s*["']https?://""")


def test_home_links_to_the_dashboard_and_swagger_ui(client):
    page = client.get("/").get_data(as_text=True)

    assert 'href="/dashboard"' in page
    assert 'href="/api/docs"' in page


def test_dashboard_page_is_served_with_its_module_and_styles(client):
    response = client.get("/dashboard")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<script type="module" src="/static/dashboard/dashboard.js">' in page
    assert 'href="/static/dashboard/dashboard.css"' in page
    assert 'name="viewport"' in page  # laid out for phones too


@pytest.mark.parametrize("name", sorted(path.name for path in STATIC.iterdir()))
def test_every_asset_is_served_from_here_and_loads_nothing_from_elsewhere(client, name):
    response = client.get(f"/static/dashboard/{name}")

    assert response.status_code == 200
    assert not EXTERNAL.search(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/", "/dashboard"])
def test_pages_hold_no_external_links_or_secrets(client, settings, path):
    page = client.get(path).get_data(as_text=True)

    assert not EXTERNAL.search(page)
    assert settings.jwt_secret_key not in page
