from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.clock import parse_timestamp, to_wire


def test_z_and_offsets_parse_to_utc():
    assert parse_timestamp("2025-03-22T12:00:00Z") == datetime(2025, 3, 22, 12, tzinfo=UTC)
    assert parse_timestamp("2025-03-22T14:00:00+02:00") == datetime(2025, 3, 22, 12, tzinfo=UTC)
    assert parse_timestamp("2025-03-22T12:00:00") == datetime(2025, 3, 22, 12, tzinfo=UTC)


def test_wire_format_ends_with_z():
    moment = datetime(2025, 3, 22, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert to_wire(moment) == "2025-03-22T12:00:00.000Z"


def test_garbage_is_rejected():
    with pytest.raises(ValueError):
        parse_timestamp("yesterday")
