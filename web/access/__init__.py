"""Operator access: the login throttle, event-stream tickets and the security headers.

`init_access` wires them per app: in-process on the embedded default, in Redis when
REDIS_URL is set (so every worker and node shares them)."""

from __future__ import annotations

from flask import Flask, current_app, request

from domain.login_throttle import LoginThrottle
from web.access.counters import InProcessAttemptCounter, RedisAttemptCounter
from web.access.headers import init_security_headers
from web.access.tickets import EventTickets, InProcessTicketStore, RedisTicketStore
from web.extensions import settings
from web.tls import from_trusted_proxy

THROTTLE_KEY = "voltline.login-throttle"
TICKETS_KEY = "voltline.event-tickets"


def init_access(app: Flask) -> None:
    config = settings(app)
    if config.redis_url is None:
        counter, tickets = InProcessAttemptCounter(), InProcessTicketStore()
    else:
        counter, tickets = RedisAttemptCounter(config.redis_url), RedisTicketStore(config.redis_url)
    app.extensions[THROTTLE_KEY] = LoginThrottle(
        counter, config.login_max_failures, config.login_window_seconds
    )
    app.extensions[TICKETS_KEY] = EventTickets(tickets)
    init_security_headers(app)


def login_throttle() -> LoginThrottle:
    return current_app.extensions[THROTTLE_KEY]


def event_tickets() -> EventTickets:
    return current_app.extensions[TICKETS_KEY]


def client_address() -> str | None:
    """The address the request came from: the socket peer, or, when that peer is one of
    TRUSTED_PROXIES, the nearest address in X-Forwarded-For that is not a trusted proxy
    (addresses further left were written by the client and prove nothing)."""
    trusted = settings().trusted_proxies
    address = request.remote_addr
    if not from_trusted_proxy(address, trusted):
        return address
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        hop = hop.strip()
        if not hop:
            continue
        address = hop
        if not from_trusted_proxy(hop, trusted):
            break
    return address
