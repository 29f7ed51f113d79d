"""The operator dashboard in headless Chromium, against a live server (gunicorn + gevent,
PostgreSQL) and a real OCPP test charger: every change shows up live, without a reload."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from ocpp.v16.enums import ChargePointStatus
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from domain.settings import PROJECT_ROOT
from tests.charger import LiveCharger
from tests.e2e.dashboard.browser import chromium
from tests.live_server import TEST_JWT_SECRET, postgres_live_server

OPERATOR = ("dash-operator", "operator-password-1")
VIEWER = ("dash-viewer", "viewer-password-1")
ADMIN = ("dash-admin", "admin-password-1")
ID_TAG = "DASH-TAG-0001"
# Generous: these wait for an event, they do not measure how fast it came.
EVENT_WAIT = 20
SCREENSHOT = PROJECT_ROOT / "artifacts" / "dashboard.png"


@pytest.fixture(scope="module")
def server():
    with postgres_live_server() as live:
        for (username, password), role in ((OPERATOR, "operator"), (VIEWER, "viewer")):
            live.flask(
                "create-user", "--username", username, "--password", password, "--role", role
            )
        live.flask("create-user", "--username", ADMIN[0], "--password", ADMIN[1], "--role", "admin")
        admin = api_token(live, ADMIN)
        created = requests.post(
            live.base_url + "/api/id-tags/",
            json={"id_tag": ID_TAG},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        yield live


def api_token(server, credentials) -> str:
    username, password = credentials
    answer = requests.post(
        server.base_url + "/api/token/",
        json={"username": username, "password": password},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access"]


def wait_for(browser, condition, message: str):
    # The page re-renders rows as events arrive: an element read mid-render is read again.
    stale = (StaleElementReferenceException,)
    return WebDriverWait(browser, EVENT_WAIT, poll_frequency=0.1, ignored_exceptions=stale).until(
        lambda driver: condition(driver), message
    )


def click_link(browser, text: str) -> None:
    """Click a link of the overview, whose rows live events re-render: a link replaced
    between finding and clicking it is found again."""

    def clicked(b) -> bool:
        b.find_element(By.LINK_TEXT, text).click()
        return True

    wait_for(browser, clicked, f"the {text} link clicked")


def css(browser, selector: str):
    return browser.find_elements(By.CSS_SELECTOR, selector)


def sign_in(browser, server, credentials) -> None:
    browser.get(server.base_url + "/dashboard")
    wait_for(browser, lambda b: b.find_element(By.ID, "login-form").is_displayed(), "login form")
    username, password = credentials
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_for(browser, lambda b: css(b, '#chargers tr[data-charger="charger_1"]'), "overview")
    wait_for(browser, lambda b: css(b, '#live[data-state="open"]'), "event stream open")


def charger_row_status(browser, name: str) -> str | None:
    rows = css(browser, f'#chargers tr[data-charger="{name}"]')
    return rows[0].get_attribute("data-status") if rows else None


def active_transaction_ids(browser) -> set[str]:
    return {
        row.get_attribute("data-transaction")
        for row in css(browser, "#active-transactions tr[data-transaction]")
    }


def test_operator_watches_a_charger_connect_charge_and_answer_a_reset_live(server):
    with chromium() as browser:
        sign_in(browser, server, OPERATOR)
        assert charger_row_status(browser, "charger_1") == "Disconnected"
        assert active_transaction_ids(browser) == set()

        with LiveCharger(server.ws_url("charger_1"), "charger_1", boot=False) as charger:
            wait_for(
                browser,
                lambda b: charger_row_status(b, "charger_1") == "Connected",
                "charger_1 shown Connected after its socket opened",
            )
            charger.boot(model="DashboardTest", firmware_version="1.4.2")
            wait_for(
                browser,
                lambda b: (
                    "1.4.2" in b.find_element(By.CSS_SELECTOR, 'tr[data-charger="charger_1"]').text
                ),
                "firmware from the BootNotification shown",
            )

            charger.status(1, ChargePointStatus.preparing)
            wait_for(
                browser,
                lambda b: css(
                    b, 'tr[data-charger="charger_1"] [data-connector="1"][data-state="OCCUPIED"]'
                ),
                "connector 1 shown OCCUPIED",
            )
            started = charger.start(1, ID_TAG, meter_start=1000)
            transaction_id = str(started.transaction_id)
            wait_for(
                browser,
                lambda b: transaction_id in active_transaction_ids(b),
                "the new transaction listed as active",
            )
            charger.meter(1, started.transaction_id, 3500)
            charger.status(1, ChargePointStatus.charging)
            row = f'#active-transactions tr[data-transaction="{transaction_id}"]'
            wait_for(
                browser,
                lambda b: "2.500 kWh" in b.find_element(By.CSS_SELECTOR, row).text,
                "energy so far",
            )
            assert ID_TAG in browser.find_element(By.CSS_SELECTOR, row).text
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            assert browser.save_screenshot(str(SCREENSHOT))

            charger.stop(started.transaction_id, meter_stop=4200, id_tag=ID_TAG)
            charger.status(1, ChargePointStatus.available)
            wait_for(
                browser,
                lambda b: transaction_id not in active_transaction_ids(b),
                "the stopped transaction no longer active",
            )

            click_link(browser, "charger_1")
            wait_for(
                browser, lambda b: css(b, '#charger-view[data-status="Connected"]'), "charger page"
            )
            assert browser.find_element(By.ID, "actions").is_displayed()
            history = f'#charger-transactions tr[data-transaction="{transaction_id}"]'
            wait_for(
                browser, lambda b: css(b, f'{history}[data-status="Completed"]'), "closed session"
            )
            frames = browser.find_element(By.ID, "message-log").text
            assert '"meterStop": 4200' in frames  # pretty-printed frames, newest first

            reset = browser.find_element(By.CSS_SELECTOR, 'form[data-action="Reset"]')
            Select(reset.find_element(By.NAME, "type")).select_by_visible_text("Hard")
            reset.find_element(By.TAG_NAME, "button").click()
            outcome = '#command-outcomes li[data-action="Reset"][data-status="Accepted"]'
            wait_for(browser, lambda b: css(b, outcome), "the charger's Accepted shown for Reset")
            assert [(action, body) for _, action, body in charger.received] == [
                ("Reset", {"type": "Hard"})
            ]

        wait_for(
            browser,
            lambda b: css(b, '#charger-view[data-status="Disconnected"]'),
            "charger page shows the socket closed",
        )
        token = browser.execute_script("return sessionStorage.getItem('voltline.access')")
        browser.find_element(By.ID, "logout").click()
        wait_for(
            browser, lambda b: b.find_element(By.ID, "login-form").is_displayed(), "signed out"
        )
        assert browser.execute_script("return sessionStorage.length") == 0
        refused = requests.get(
            server.base_url + "/api/chargers/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert refused.status_code == 401  # log-out revoked the token


def expired_copy(token: str) -> str:
    """The same access token, expired an hour ago, signed with the server's key."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 3600
    return jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")


def test_an_expired_access_token_is_refreshed_and_the_page_carries_on(server):
    with chromium() as browser:
        sign_in(browser, server, VIEWER)
        token = browser.execute_script("return sessionStorage.getItem('voltline.access')")
        expired = expired_copy(token)
        browser.execute_script("sessionStorage.setItem('voltline.access', arguments[0])", expired)

        browser.refresh()

        wait_for(browser, lambda b: css(b, '#chargers tr[data-charger="charger_3"]'), "overview")
        wait_for(browser, lambda b: css(b, '#live[data-state="open"]'), "event stream reopened")
        renewed = browser.execute_script("return sessionStorage.getItem('voltline.access')")
        assert renewed not in (expired, None)
        answer = requests.get(
            server.base_url + "/api/chargers/",
            headers={"Authorization": f"Bearer {renewed}"},
            timeout=10,
        )
        assert answer.status_code == 200


def test_viewer_sees_the_charger_page_without_command_buttons_on_a_phone(server):
    with chromium(width=390, height=844) as browser:
        sign_in(browser, server, VIEWER)
        click_link(browser, "charger_2")
        wait_for(browser, lambda b: b.find_element(By.ID, "charger-view").is_displayed(), "charger")
        wait_for(
            browser, lambda b: css(b, '#charger-connectors tr[data-connector="1"]'), "connectors"
        )

        assert not browser.find_element(By.ID, "actions").is_displayed()
        # Wide tables scroll inside their box; the page itself never scrolls sideways.
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
        page = browser.page_source
        assert "authorization_key" not in page and "password_hash" not in page
