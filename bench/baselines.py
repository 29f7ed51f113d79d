"""The baseline servers scenario figures are compared with, run as their own process.

`python -m bench.baselines bare --port P`: a bare `websockets` server that answers each
charger CALL with a canned CALLRESULT and validates nothing (the ceiling).
`python -m bench.baselines chargepoint --port P`: a central system built on the `ocpp`
package's ChargePoint, as its documentation shows (the usual Python choice).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import signal

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import serve

from domain.clock import to_wire, utcnow

HEARTBEAT_INTERVAL = 300
_transaction_ids = itertools.count(1)


def canned_result(action: str) -> dict:
    """What the bare server answers: the smallest valid CALLRESULT payload per action."""
    accepted = {"status": AuthorizationStatus.accepted}
    if action == Action.heartbeat:
        return {"currentTime": to_wire(utcnow())}
    if action == Action.boot_notification:
        return {
            "currentTime": to_wire(utcnow()),
            "interval": HEARTBEAT_INTERVAL,
            "status": RegistrationStatus.accepted,
        }
    if action in (Action.authorize, Action.stop_transaction):
        return {"idTagInfo": accepted}
    if action == Action.start_transaction:
        return {"transactionId": next(_transaction_ids), "idTagInfo": accepted}
    return {}


async def bare_handler(connection) -> None:
    async for frame in connection:
        message = json.loads(frame)
        if message[0] == 2:
            await connection.send(json.dumps([3, message[1], canned_result(message[2])]))


class BaselineCentralSystem(ChargePoint):
    @on(Action.boot_notification)
    def on_boot_notification(self, **_):
        return call_result.BootNotification(
            current_time=to_wire(utcnow()),
            interval=HEARTBEAT_INTERVAL,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_):
        return call_result.Heartbeat(current_time=to_wire(utcnow()))

    @on(Action.status_notification)
    def on_status_notification(self, **_):
        return call_result.StatusNotification()


async def chargepoint_handler(connection) -> None:
    charger_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
    try:
        await BaselineCentralSystem(charger_id, connection).start()
    except Exception:  # noqa: BLE001 - a closed socket ends the loop; nothing to report
        return


HANDLERS = {"bare": bare_handler, "chargepoint": chargepoint_handler}


async def serve_until_signalled(kind: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve(
        HANDLERS[kind],
        "127.0.0.1",
        port,
        subprotocols=["ocpp1.6"],
        compression=None,
        ping_interval=None,
        backlog=4096,
    ):
        print(f"{kind} baseline listening on 127.0.0.1:{port}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baselines")
    parser.add_argument("kind", choices=sorted(HANDLERS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    # Same level as the Voltline server under test, so both pay for the logging they do.
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(serve_until_signalled(args.kind, args.port))


if __name__ == "__main__":
    main()
