"""The queued-command check after accepted boots: the chargers of many sockets looked for in
one query, each socket with commands waiting handed them oldest first, none for a closed
socket or a charger with none queued."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from domain.services.chargers import create_charger
from domain.services.commands import create_command, queue_command, queued_commands_of
from web.relay.queued_check import QueuedCommandCheck

RESET = {"type": "Soft"}


def queued(db, charger: str, action: str, payload: dict) -> str:
    with db.unit_of_work() as session:
        command, _ = create_command(session, charger, action, payload, queue_ttl=60)
        assert queue_command(session, command.id)
        return command.id


def socket(name: str, closed: bool = False):
    return SimpleNamespace(charger_name=name, closed=closed)


def test_one_check_hands_each_open_socket_its_chargers_commands_oldest_first(db):
    with db.unit_of_work() as session:
        for name in ("qa", "qb", "qc", "qd"):
            create_charger(session, name)
    a = [queued(db, "qa", "Reset", RESET), queued(db, "qa", "ClearCache", {})]
    b = [queued(db, "qb", "ClearCache", {})]
    queued(db, "qd", "ClearCache", {})
    with db.unit_of_work() as session:
        assert queued_commands_of(session, ["qa", "qb", "qc"]) == {"qa": a, "qb": b}

    sent, done = {}, threading.Event()

    def send(connection, commands):
        sent[connection.charger_name] = [command.id for command in commands]
        if len(sent) == 2:
            done.set()

    sockets = [socket("qa"), socket("qb"), socket("qc"), socket("qd", closed=True)]
    QueuedCommandCheck(db, send).check(sockets)
    assert done.wait(5)
    assert sent == {"qa": a, "qb": b}


def test_offers_are_looked_for_by_the_checker_in_the_background(db):
    with db.unit_of_work() as session:
        create_charger(session, "qe")
    command_id = queued(db, "qe", "Reset", RESET)
    sent, done = [], threading.Event()

    def send(connection, commands):
        sent.extend(command.id for command in commands)
        done.set()

    QueuedCommandCheck(db, send).offer(socket("qe"))
    assert done.wait(5)
    assert sent == [command_id]
