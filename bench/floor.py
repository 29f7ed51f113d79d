"""The stack's own floor: Flask-Sock on gunicorn + gevent answering charger CALLs by hand.

`gunicorn -k gevent bench.floor:app` (see `bench.processes.baseline_server("flasksock")`):
the same web stack Voltline runs on, with no validation, no database and no logging per
frame, answering each CALL with the canned CALLRESULT of the bare baseline. Issue 13 states
the heartbeat and idle targets against it.
"""

from __future__ import annotations

import json

from flask import Flask
from flask_sock import Sock

from bench.baselines import canned_result

app = Flask(__name__)
app.config["SOCK_SERVER_OPTIONS"] = {"subprotocols": ["ocpp1.6"], "ping_interval": None}
sock = Sock(app)


@sock.route("/ocpp/<path:charger_id>")
def charger(ws, charger_id: str) -> None:
    while True:
        message = json.loads(ws.receive())
        if message[0] == 2:
            ws.send(json.dumps([3, message[1], canned_result(message[2])]))
