"""`flask create-chargers` seeds the simulator's demo idTag, once, Accepted."""

from sqlalchemy import select

from bootstrap import create_app
from domain.models import IdTag, IdTagStatus
from domain.services.id_tags import DEMO_ID_TAG, get_id_tag
from tests.conftest import make_settings


def test_create_chargers_adds_the_demo_id_tag_once(tmp_path, sqlite_url):
    app = create_app(make_settings(tmp_path, database_url=sqlite_url))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["create-chargers"])
    second = runner.invoke(args=["create-chargers"])
    assert first.exit_code == second.exit_code == 0
    assert f"created the demo idTag {DEMO_ID_TAG}" in first.output
    assert "demo idTag" not in second.output
    with app.extensions["voltline.db"].unit_of_work() as session:
        assert get_id_tag(session, DEMO_ID_TAG).status == IdTagStatus.ACCEPTED


def test_outside_the_embedded_default_no_demo_id_tag_is_created(tmp_path, postgres_url):
    app = create_app(make_settings(tmp_path, database_url=postgres_url))
    result = app.test_cli_runner().invoke(args=["create-chargers"])
    assert result.exit_code == 0
    assert f"no demo idTag {DEMO_ID_TAG} outside the embedded default" in result.output
    with app.extensions["voltline.db"].unit_of_work() as session:
        assert session.scalar(select(IdTag).where(IdTag.id_tag == DEMO_ID_TAG)) is None
