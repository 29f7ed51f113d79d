"""The dashboard and Swagger UI work in headless Chromium under their Content-Security-Policy,
with no CSP violation in the browser console; the event stream opens with a ticket."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.dashboard.browser import chromium, csp_violations
from tests.e2e.dashboard.test_dashboard_browser import click_link, css, sign_in, wait_for
from tests.live_server import postgres_live_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

VIEWER = ("csp-viewer", "csp-viewer-password-1")


@pytest.fixture(scope="module")
def server():
    with postgres_live_server() as live:
        name, password = VIEWER
        live.flask("create-user", "--username", name, "--password", password, "--role", "viewer")
        yield live


def test_the_dashboard_runs_live_without_a_csp_violation(server):
    with chromium() as browser:
        # Waits for the event stream to open: the server takes only a ticket in its URL.
        sign_in(browser, server, VIEWER)
        click_link(browser, "charger_1")
        wait_for(browser, lambda b: css(b, '#charger-connectors tr[data-connector="1"]'), "page")
        assert csp_violations(browser) == []


def test_swagger_ui_renders_the_api_without_a_csp_violation(server):
    with chromium() as browser:
        browser.get(server.base_url + "/api/docs")
        wait_for(browser, lambda b: len(css(b, ".opblock")) > 10, "operations rendered")
        assert csp_violations(browser) == []


def test_the_console_check_sees_a_violation_when_there_is_one(server):
    with chromium() as browser:
        browser.get(server.base_url + "/dashboard")
        wait_for(browser, lambda b: b.find_element(By.ID, "login-form").is_displayed(), "login")
        csp_violations(browser)
        browser.execute_script(
            "const s = document.createElement('script');"
            "s.textContent = 'window.inlineRan = true'; document.body.appendChild(s);"
        )
        wait_for(browser, lambda b: csp_violations(b), "the inline script refused")
        assert browser.execute_script("return window.inlineRan") is None
