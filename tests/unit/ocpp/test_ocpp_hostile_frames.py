"""Hostile frames never escape the parser or the read loop: deep nesting, numeric ids,
binary frames, and a handler that fails unexpectedly."""

import json
import threading

import pytest

from domain.services.charger_calls import CHARGER_ACTIONS
from tests.ocpp_client import eventually
from tests.unit.ocpp.test_ocpp_connection import WAIT, FakeWebSocket
from web.ocpp.connection import ChargerConnection, Reply
from web.ocpp.framing import MAX_NESTING, BadFrame, parse_frame, result_frame


def parse(text):
    return parse_frame(text, CHARGER_ACTIONS)


def test_ten_thousand_nested_arrays_earn_formation_violation_not_recursion_error():
    with pytest.raises(BadFrame) as refused:
        parse("[" * 10_000 + "]" * 10_000)
    assert (refused.value.code, refused.value.unique_id) == ("FormationViolation", "-1")


def test_a_call_nested_deeper_than_the_bound_is_refused_with_its_id_echoed():
    deep = "[" * MAX_NESTING + "]" * MAX_NESTING
    with pytest.raises(BadFrame) as refused:
        parse(f'[2,"deep-1","DataTransfer",{{"vendorId":"v","data":{deep}}}]')
    assert (refused.value.code, refused.value.unique_id) == ("FormationViolation", "deep-1")
    assert refused.value.parsed is None  # never handed on to be logged as JSON


def test_a_call_nested_exactly_to_the_bound_is_parsed():
    # The frame and its payload are two levels: 30 more reach MAX_NESTING.
    deep = "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2)
    call = parse(f'[2,"deep-2","DataTransfer",{{"vendorId":"v","data":{deep}}}]')
    assert call.payload["data"] == json.loads(deep)


def test_brackets_inside_strings_do_not_make_a_shallow_frame_too_deep():
    data = "[{" * MAX_NESTING
    call = parse(json.dumps([2, "many-brackets", "DataTransfer", {"vendorId": "v", "data": data}]))
    assert call.payload["data"] == data


def test_the_deepest_real_charger_message_is_within_the_bound():
    sample = '{"value":"1","measurand":"Energy.Active.Import.Register"}'
    stop = (
        '[2,"s1","StopTransaction",{"transactionId":1,"meterStop":2,'
        '"timestamp":"2025-01-01T00:00:00Z","transactionData":[{"timestamp":'
        f'"2025-01-01T00:00:00Z","sampledValue":[{sample}]}}]}}]'
    )
    assert parse(stop).action == "StopTransaction"


@pytest.mark.parametrize("unique_id", [12345, -7, 1.5])
def test_a_readable_numeric_unique_id_is_echoed_as_sent(unique_id):
    with pytest.raises(BadFrame) as refused:
        parse(f'[2,{unique_id},"Heartbeat",{{}}]')
    assert refused.value.unique_id == unique_id
    assert refused.value.code == "FormationViolation"


def test_a_numeric_unique_id_in_broken_json_is_echoed_as_sent():
    with pytest.raises(BadFrame) as refused:
        parse('[2,12345,"Heartbeat",{')
    assert refused.value.unique_id == 12345


@pytest.fixture
def reading():
    """A connection on a fake socket; yields (start(answer), ws, frames)."""
    ws = FakeWebSocket()
    frames = []
    connection = ChargerConnection(
        ws,
        "cp1",
        record_frame=lambda *frame: frames.append(frame),
        supported_actions=frozenset({"Heartbeat"}),
    )
    reader = None

    def start(answer):
        nonlocal reader
        reader = threading.Thread(target=connection.serve, args=(answer,), daemon=True)
        reader.start()

    yield start, ws, frames
    connection.close()
    reader.join(WAIT)
    assert not reader.is_alive()


def heartbeat_answer(connection, call):
    return Reply(result_frame(call.unique_id, {"currentTime": "2025-01-01T00:00:00Z"}))


def test_a_binary_frame_holding_utf8_json_is_answered_as_text(reading):
    start, ws, _ = reading
    start(heartbeat_answer)
    ws.inbox.put(b'[2,"b1","Heartbeat",{}]')
    assert ws.sent.get(timeout=WAIT)[:2] == [3, "b1"]
    assert ws.closed_with is None


def test_a_binary_frame_that_is_not_utf8_closes_with_1007(reading):
    start, ws, _ = reading
    start(heartbeat_answer)
    ws.inbox.put(b"\xff\xfe\x00")
    assert eventually(lambda: ws.closed_with) == (1007, "OCPP-J frames must be UTF-8 JSON")


def test_a_handler_failing_unexpectedly_closes_the_socket_cleanly_and_never_raises(reading):
    start, ws, _ = reading

    def broken(connection, call):
        raise RecursionError("maximum recursion depth exceeded")

    start(broken)
    ws.inbox.put('[2,"x1","Heartbeat",{}]')
    assert eventually(lambda: ws.closed_with) == (1011, "internal error")
