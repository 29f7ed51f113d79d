"""The dashboard's health pictures in headless Chromium, against a live server and real OCPP
test chargers: the fleet ranking, a charger's scorecard with its connection timeline and
message rate, and a session's energy chart with one point per meter reading."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from domain.clock import utcnow
from domain.db import Database
from domain.models import Charger
from domain.services.health import refresh_rollups
from domain.services.id_tags import create_id_tag
from domain.settings import PROJECT_ROOT
from tests.charger import LiveCharger
from tests.e2e.dashboard.browser import chromium
from tests.e2e.dashboard.test_dashboard_browser import css, sign_in, wait_for
from tests.live_server import postgres_live_server
from tests.ocpp_client import eventually, exchange, raw_socket, run

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

VIEWER = ("health-viewer", "viewer-password-1")
ID_TAG = "HEALTH-TAG-01"
READINGS = (11_000, 12_500, 14_000)
MALFORMED = 10  # CALLERRORs worth the rule's cap (30 points): more than any outage costs
SCREENSHOT = PROJECT_ROOT / "docs" / "health.png"
SESSION_SCREENSHOT = PROJECT_ROOT / "docs" / "health-session.png"


@pytest.fixture(scope="module")
def server():
    with postgres_live_server() as live:
        live.flask(
            "create-user", "--username", VIEWER[0], "--password", VIEWER[1], "--role", "viewer"
        )
        database = Database(live.database_url)
        with database.unit_of_work() as session:
            create_id_tag(session, ID_TAG)
        database.dispose()
        yield live


def charger_status(server, name: str) -> str:
    database = Database(server.database_url)
    try:
        with database.unit_of_work() as session:
            return session.scalar(select(Charger.status).where(Charger.name == name))
    finally:
        database.dispose()


def roll_up(server) -> None:
    database = Database(server.database_url)
    try:
        with database.unit_of_work() as session:
            refresh_rollups(session, now=utcnow(), heartbeat_interval=300)
    finally:
        database.dispose()


def overview_names(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('#chargers tr[data-charger]')]"
        ".map((row) => row.dataset.charger)"
    )


def ranking(browser) -> list[tuple[str, int]]:
    """The ranking's rows as (charger, score), read in one go (rows are re-rendered live)."""
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#health-ranking tr[data-charger]')]"
        ".map((row) => [row.dataset.charger, Number(row.dataset.score)])"
    )
    return [tuple(row) for row in rows]


def bar_counts(browser) -> list[int]:
    return browser.execute_script(
        "return [...document.querySelectorAll('#message-rate rect.bar')]"
        ".map((bar) => Number(bar.dataset.count))"
    )


async def take_over_and_send_garbage(url: str) -> None:
    async with raw_socket(url) as ws:
        for _ in range(MALFORMED):
            assert (await exchange(ws, "not JSON"))[2] == "FormationViolation"


def test_viewer_sees_the_fleet_ranking_a_scorecard_with_its_timeline_and_a_session_chart(server):
    with LiveCharger(server.ws_url("charger_2"), "charger_2"):
        run(take_over_and_send_garbage(server.ws_url("charger_2")))
    # Socket endings are written behind (within a second), its last one with Disconnected.
    eventually(lambda: charger_status(server, "charger_2") == "Disconnected")
    with LiveCharger(server.ws_url("charger_1"), "charger_1") as charger:
        started = charger.start(1, ID_TAG, meter_start=10_000)
        for wh in READINGS:
            charger.meter(1, started.transaction_id, wh)
        roll_up(server)
        with chromium(height=1400) as browser:
            sign_in(browser, server, VIEWER)
            wait_for(
                browser,
                lambda b: (
                    "4.000 kWh"
                    in b.find_element(By.CSS_SELECTOR, "#active-transactions tbody").text
                ),
                "energy so far of the running session, from the API",
            )

            search = browser.find_element(By.CSS_SELECTOR, '#fleet-filter [name="search"]')
            search.send_keys("charger_3")
            wait_for(
                browser,
                lambda b: overview_names(b) == ["charger_3"],
                "the overview searched by name on the server",
            )
            search.clear()
            Select(
                browser.find_element(By.CSS_SELECTOR, '#fleet-filter [name="maxScore"]')
            ).select_by_value("69")
            poor = wait_for(
                browser,
                lambda b: "#/health" in b.current_url and ranking(b),
                "the health filter shows the ranking of the chargers below 70",
            )
            assert all(score <= 69 for _, score in poor)

            browser.get(server.base_url + "/dashboard#/health")
            browser.refresh()
            rows = wait_for(
                browser,
                lambda b: len(found := ranking(b)) == 3 and found,
                "every seed charger ranked",
            )
            ranked = [name for name, _ in rows]
            scores = [score for _, score in rows]
            assert scores == sorted(scores)
            assert ranked.index("charger_2") < ranked.index("charger_1")

            browser.get(server.base_url + f"/dashboard#/transactions/{started.transaction_id}")
            energy_points = wait_for(
                browser,
                lambda b: css(b, '#energy-chart circle[data-series="energy"]'),
                "the session's energy chart",
            )
            assert len(energy_points) == len(READINGS)
            # Power is the rise between readings: one point fewer.
            assert len(css(browser, '#energy-chart circle[data-series="power"]')) == 2
            SESSION_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            assert browser.save_screenshot(str(SESSION_SCREENSHOT))

            browser.get(server.base_url + "/dashboard#/chargers/charger_1")
            wait_for(
                browser,
                lambda b: css(b, '#connection-timeline rect.segment[data-connected="true"]'),
                "the connection timeline shows it connected",
            )
            wait_for(browser, lambda b: css(b, "#health-score [data-score]"), "its score")
            bars = bar_counts(browser)
            assert len(bars) == 48
            assert sum(bars) >= 2 * 5
            assert browser.save_screenshot(str(SCREENSHOT))
