"""The live test charger every socket test shares: the `ocpp` package's ChargePoint over
`websockets`, running in a thread of its own so synchronous tests (the REST API, a browser)
can drive it step by step.

It answers every central-system command with a valid answer (ANSWERS), or as a test sets in
`answers[action]`: another call_result, an OCPPError to answer with a CALLERROR, SILENT to
never answer, or Delayed(seconds, answer). Every CALL it receives is kept in `received`
as (unique id, action, payload).
"""

from __future__ import annotations

import asyncio
import copy
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ocpp.messages import Call, unpack
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus, Reason

from domain.clock import to_wire, utcnow
from domain.services.command_actions import COMMAND_ACTIONS
from tests.ocpp_client import ANSWER_TIMEOUT, raw_socket

SILENT = object()


@dataclass(frozen=True)
class Delayed:
    """Answer only after `seconds` (to arrive after the central system stopped waiting)."""

    seconds: float
    answer: Any


CERTIFICATE_HASH = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "a" * 64,
    "issuerKeyHash": "b" * 64,
    "serialNumber": "01",
}
ANSWERS: dict[str, Any] = {
    "RemoteStartTransaction": call_result.RemoteStartTransaction(status="Accepted"),
    "RemoteStopTransaction": call_result.RemoteStopTransaction(status="Accepted"),
    "Reset": call_result.Reset(status="Accepted"),
    "ChangeAvailability": call_result.ChangeAvailability(status="Scheduled"),
    "ChangeConfiguration": call_result.ChangeConfiguration(status="Accepted"),
    "GetConfiguration": call_result.GetConfiguration(
        configuration_key=[
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
        ],
        unknown_key=["NoSuchKey"],
    ),
    "ClearCache": call_result.ClearCache(status="Accepted"),
    "UnlockConnector": call_result.UnlockConnector(status="Unlocked"),
    "DataTransfer": call_result.DataTransfer(status="Accepted", data="pong"),
    "GetDiagnostics": call_result.GetDiagnostics(file_name="diagnostics-1.log"),
    "UpdateFirmware": call_result.UpdateFirmware(),
    "SendLocalList": call_result.SendLocalList(status="Accepted"),
    "GetLocalListVersion": call_result.GetLocalListVersion(list_version=42),
    "ReserveNow": call_result.ReserveNow(status="Accepted"),
    "CancelReservation": call_result.CancelReservation(status="Accepted"),
    "SetChargingProfile": call_result.SetChargingProfile(status="Accepted"),
    "ClearChargingProfile": call_result.ClearChargingProfile(status="Accepted"),
    "GetCompositeSchedule": call_result.GetCompositeSchedule(
        status="Accepted",
        connector_id=1,
        schedule_start="2030-01-01T00:00:00Z",
        charging_schedule={
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    ),
    "TriggerMessage": call_result.TriggerMessage(status="Accepted"),
    "ExtendedTriggerMessage": call_result.ExtendedTriggerMessage(status="Accepted"),
    "GetLog": call_result.GetLog(status="Accepted", filename="security.log"),
    "SignedUpdateFirmware": call_result.SignedUpdateFirmware(status="Accepted"),
    "CertificateSigned": call_result.CertificateSigned(status="Accepted"),
    "InstallCertificate": call_result.InstallCertificate(status="Accepted"),
    "DeleteCertificate": call_result.DeleteCertificate(status="Accepted"),
    "GetInstalledCertificateIds": call_result.GetInstalledCertificateIds(
        status="Accepted", certificate_hash_data=[CERTIFICATE_HASH]
    ),
}


class AnsweringCharger(ChargePoint):
    def __init__(self, charger_id: str, connection):
        super().__init__(charger_id, connection, response_timeout=ANSWER_TIMEOUT)
        self.answers: dict[str, Any] = dict(ANSWERS)
        self.received: list[tuple[str, str, dict]] = []

    async def route_message(self, raw_msg):
        message = unpack(raw_msg)
        if isinstance(message, Call):
            payload = copy.deepcopy(message.payload)
            self.received.append((message.unique_id, message.action, payload))
            if self.answers.get(message.action) is SILENT:
                return
        await super().route_message(raw_msg)

    async def answer(self, action: str):
        answer = self.answers[action]
        if isinstance(answer, Delayed):
            await asyncio.sleep(answer.seconds)
            answer = answer.answer
        if isinstance(answer, Exception):
            raise answer
        return answer


def _command_handler(action: str):
    async def handler(self, **_request):
        return await self.answer(action)

    handler.__name__ = f"on_{action}"
    return on(action)(handler)


for _action in COMMAND_ACTIONS:
    setattr(AnsweringCharger, f"on_{_action}", _command_handler(str(_action)))


class LiveCharger:
    """An AnsweringCharger connected to `url` (and booted unless `boot=False`), on an event
    loop in a thread; its methods send the charger-initiated messages tests need. `headers`
    (e.g. HTTP Basic) and `ssl` (a client SSLContext) go to the handshake."""

    def __init__(self, url: str, name: str, *, boot: bool = True, headers=None, ssl=None):
        self.url = url
        self.name = name
        self._boot = boot
        self._headers = headers
        self._ssl = ssl
        self.cp: AnsweringCharger | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._closed: asyncio.Event | None = None

    def __enter__(self) -> LiveCharger:
        self._thread.start()
        ready: Future = Future()
        self._run_socket = asyncio.run_coroutine_threadsafe(self._socket(ready), self._loop)
        ready.result(ANSWER_TIMEOUT)
        if self._boot:
            self.boot(model="RelayTest")
        return self

    def __exit__(self, *exc_info) -> None:
        self.disconnect()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(ANSWER_TIMEOUT)

    @property
    def received(self) -> list[tuple[str, str, dict]]:
        return list(self.cp.received)

    def call(self, payload):
        """Send a charger-initiated CALL and return its answer."""
        return self._in_loop(self.cp.call(payload, suppress=False))

    def boot(self, model: str = "Test", firmware_version: str | None = None):
        return self.call(
            call.BootNotification(
                charge_point_model=model,
                charge_point_vendor="Voltline",
                firmware_version=firmware_version,
            )
        )

    def status(self, connector_id: int, status: ChargePointStatus):
        return self.call(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=ChargePointErrorCode.no_error,
                status=status,
                timestamp=to_wire(utcnow()),
            )
        )

    def start(self, connector_id: int, id_tag: str, meter_start: int):
        return self.call(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=to_wire(utcnow()),
            )
        )

    def stop(self, transaction_id: int, meter_stop: int, id_tag: str | None = None):
        return self.call(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=to_wire(utcnow()),
                transaction_id=transaction_id,
                reason=Reason.local,
                id_tag=id_tag,
            )
        )

    def meter(self, connector_id: int, transaction_id: int, wh: int):
        sample = {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        return self.call(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=transaction_id,
                meter_value=[{"timestamp": to_wire(utcnow()), "sampledValue": [sample]}],
            )
        )

    def disconnect(self) -> None:
        if self._closed is not None and not self._run_socket.done():
            self._loop.call_soon_threadsafe(self._closed.set)
            self._run_socket.result(ANSWER_TIMEOUT)

    def _in_loop(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(ANSWER_TIMEOUT * 2)

    async def _socket(self, ready: Future) -> None:
        self._closed = asyncio.Event()
        try:
            async with raw_socket(self.url, headers=self._headers, ssl=self._ssl) as ws:
                self.cp = AnsweringCharger(self.name, ws)
                reader = asyncio.create_task(self.cp.start())
                ready.set_result(True)
                await self._closed.wait()
                reader.cancel()
        except Exception as error:  # noqa: BLE001 - handed to the waiting test
            if not ready.done():
                ready.set_exception(error)
            raise
