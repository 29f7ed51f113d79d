"""ChargerConnection bookkeeping: calls to the charger, their answers, and closing.

The WebSocket here is an in-memory stand-in with simple-websocket's interface; the live
socket behaviour is covered by tests/integration/ocpp/test_socket_*.py.
"""

import json
import queue
import threading

import pytest
from simple_websocket import ConnectionClosed
from wsproto.frame_protocol import CloseReason

from tests.ocpp_client import eventually
from web.ocpp.connection import ChargerConnection, Reply, _SendAll
from web.ocpp.connection_map import ConnectionMap
from web.ocpp.framing import result_frame
from web.ocpp.outgoing import CallErrorReceived, CallTimeout, ConnectionLost

CLOSED = object()
WAIT = 10


class FakeSocket:
    def sendall(self, data):
        pass

    def shutdown(self, how):
        pass


class FakeWebSocket:
    def __init__(self):
        self.sock = FakeSocket()
        self.event = threading.Event()
        self.inbox = queue.Queue()
        self.sent = queue.Queue()
        self.closed_with = None
        self.close_reason = CloseReason.NO_STATUS_RCVD

    def send(self, text):
        if self.closed_with:
            raise ConnectionClosed()
        self.sent.put(json.loads(text))

    def receive(self):
        item = self.inbox.get()
        if item is CLOSED:
            raise ConnectionClosed()
        return item

    def close(self, code, reason):
        self.closed_with = (code, reason)
        self.inbox.put(CLOSED)


@pytest.fixture
def live():
    ws = FakeWebSocket()
    frames = []
    connection = ChargerConnection(
        ws,
        "cp1",
        record_frame=lambda *frame: frames.append(frame),
        supported_actions=frozenset({"Heartbeat"}),
    )
    answered = []

    def answer(conn, call):
        answered.append(call.unique_id)
        return Reply(result_frame(call.unique_id, {"currentTime": "2025-01-01T00:00:00Z"}))

    reader = threading.Thread(target=connection.serve, args=(answer,), daemon=True)
    reader.start()
    yield connection, ws, frames, answered
    connection.close()
    reader.join(WAIT)
    assert not reader.is_alive()


def call_in_background(connection, **kwargs):
    outcome = queue.Queue()

    def run():
        try:
            outcome.put(connection.call("Reset", {"type": "Soft"}, "cmd-1", **kwargs))
        except Exception as error:  # noqa: BLE001 - handed to the test
            outcome.put(error)

    threading.Thread(target=run, daemon=True).start()
    return outcome


def test_call_sends_the_call_and_returns_the_matching_result(live):
    connection, ws, frames, _ = live
    outcome = call_in_background(connection, timeout=WAIT)
    assert ws.sent.get(timeout=WAIT) == [2, "cmd-1", "Reset", {"type": "Soft"}]
    ws.inbox.put('[3,"cmd-1",{"status":"Accepted"}]')
    result = outcome.get(timeout=WAIT)
    assert (result.unique_id, result.action, result.payload) == (
        "cmd-1",
        "Reset",
        {"status": "Accepted"},
    )
    assert [frame[:4] for frame in frames] == [
        ("out", 2, "cmd-1", "Reset"),
        ("in", 3, "cmd-1", "Reset"),
    ]


def test_a_call_with_record_false_leaves_the_call_and_its_result_to_the_caller(live):
    connection, ws, frames, _ = live
    outcome = call_in_background(connection, timeout=WAIT, record=False)
    assert ws.sent.get(timeout=WAIT) == [2, "cmd-1", "Reset", {"type": "Soft"}]
    ws.inbox.put('[3,"cmd-1",{"status":"Accepted"}]')
    assert outcome.get(timeout=WAIT).payload == {"status": "Accepted"}
    # A late duplicate answer has no waiting call: the connection logs that one itself.
    ws.inbox.put('[3,"cmd-1",{"status":"Rejected"}]')
    assert eventually(lambda: [frame[:4] for frame in frames]) == [("in", 3, "cmd-1", None)]


def test_a_call_error_to_a_call_with_record_false_is_still_logged(live):
    connection, ws, frames, _ = live
    outcome = call_in_background(connection, timeout=WAIT, record=False)
    ws.sent.get(timeout=WAIT)
    ws.inbox.put('[4,"cmd-1","NotSupported","no reset here",{}]')
    assert isinstance(outcome.get(timeout=WAIT), CallErrorReceived)
    assert [frame[:4] for frame in frames] == [("in", 4, "cmd-1", "Reset")]


def test_a_call_error_is_raised_with_its_code(live):
    connection, ws, _, _ = live
    outcome = call_in_background(connection, timeout=WAIT)
    ws.sent.get(timeout=WAIT)
    ws.inbox.put('[4,"cmd-1","NotSupported","no reset here",{}]')
    error = outcome.get(timeout=WAIT)
    assert isinstance(error, CallErrorReceived)
    assert (error.code, error.description) == ("NotSupported", "no reset here")


def test_no_answer_raises_call_timeout(live):
    connection, ws, _, _ = live
    outcome = call_in_background(connection, timeout=0.2)
    assert isinstance(outcome.get(timeout=WAIT), CallTimeout)


def test_an_answer_to_an_unknown_id_is_ignored_and_the_socket_carries_on(live):
    connection, ws, frames, answered = live
    ws.inbox.put('[3,"nobody-asked",{"status":"Accepted"}]')
    ws.inbox.put('[4,"nobody-asked-either","GenericError","x",{}]')
    ws.inbox.put('[2,"hb-1","Heartbeat",{}]')
    assert ws.sent.get(timeout=WAIT)[:2] == [3, "hb-1"]
    assert answered == ["hb-1"]
    assert ("in", 3, "nobody-asked", None) in [frame[:4] for frame in frames]


def test_closing_fails_a_waiting_call_with_connection_lost(live):
    connection, ws, _, _ = live
    outcome = call_in_background(connection, timeout=WAIT)
    ws.sent.get(timeout=WAIT)
    connection.close(reason="replaced")
    assert isinstance(outcome.get(timeout=WAIT), ConnectionLost)
    with pytest.raises(ConnectionLost):
        connection.call("Reset", {"type": "Soft"}, "cmd-2", timeout=WAIT)


def test_a_newer_connection_replaces_the_older_one_in_the_map():
    connections = ConnectionMap()
    first = ChargerConnection(
        FakeWebSocket(), "cp1", record_frame=print, supported_actions=frozenset()
    )
    second = ChargerConnection(
        FakeWebSocket(), "cp1", record_frame=print, supported_actions=frozenset()
    )
    assert connections.register(first) is None
    assert connections.register(second) is first
    assert connections.unregister(first) is False
    assert connections.get("cp1") is second
    assert connections.unregister(second) is True
    assert connections.names() == []


class PartialWriteSocket:
    """A socket whose send() takes at most `limit` bytes, as a full socket buffer does."""

    def __init__(self, limit):
        self.limit = limit
        self.written = bytearray()
        self.sendall_calls = 0

    def send(self, data):
        self.written += bytes(data[: self.limit])
        return min(self.limit, len(data))

    def sendall(self, data):
        self.sendall_calls += 1
        self.written += bytes(data)


@pytest.mark.parametrize(("limit", "sendall_calls"), [(1_000_000, 0), (3, 1)])
def test_a_frame_is_written_whole_even_when_one_send_takes_part_of_it(limit, sendall_calls):
    sock = PartialWriteSocket(limit)
    frame = b"\x81\x0b" + b"hello world"
    assert _SendAll(sock).send(frame) == len(frame)
    assert bytes(sock.written) == frame
    assert sock.sendall_calls == sendall_calls
