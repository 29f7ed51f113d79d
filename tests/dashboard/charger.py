"""A test charger (the `ocpp` package's ChargePoint over `websockets`) on its own asyncio loop
in a thread, so synchronous test code (a browser test) can drive it step by step."""

from __future__ import annotations

import asyncio
import threading
from contextlib import AsyncExitStack
from urllib.parse import unquote, urlsplit

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, ChargePointErrorCode, ChargePointStatus, Reason, ResetStatus

from domain.clock import to_wire, utcnow
from tests.ocpp_client import ANSWER_TIMEOUT, raw_socket


class AnsweringCharger(ChargePoint):
    """Answers the central system's Reset with Accepted and remembers what it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict]] = []

    @on(Action.reset)
    def on_reset(self, type):  # noqa: A002 - the OCPP field name
        self.received.append((Action.reset, {"type": type}))
        return call_result.Reset(status=ResetStatus.accepted)


class ThreadedCharger:
    def __init__(self, url: str):
        self.url = url
        self.name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[1])
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stack: AsyncExitStack | None = None
        self.cp: AnsweringCharger | None = None

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(ANSWER_TIMEOUT * 2)

    def connect(self) -> None:
        self._thread.start()
        self._run(self._connect())

    async def _connect(self) -> None:
        self._stack = AsyncExitStack()
        ws = await self._stack.enter_async_context(raw_socket(self.url))
        self.cp = AnsweringCharger(self.name, ws, response_timeout=ANSWER_TIMEOUT)
        reader = asyncio.create_task(self.cp.start())
        self._stack.callback(reader.cancel)

    def call(self, payload):
        """Send one CALL and return the central system's CALLRESULT payload."""
        return self._run(self.cp.call(payload, suppress=False))

    def boot(self):
        return self.call(
            call.BootNotification(
                charge_point_model="DashboardTest",
                charge_point_vendor="Voltline",
                firmware_version="1.4.2",
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

    def close(self) -> None:
        if self._stack is not None:
            self._run(self._stack.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
