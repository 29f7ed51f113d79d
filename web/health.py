"""GET /healthz: database and Redis reachability."""

from __future__ import annotations

import redis
from flask import Blueprint, jsonify

from web.extensions import database, settings

blueprint = Blueprint("health", __name__)


def redis_reachable(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@blueprint.get("/healthz")
def healthz():
    config = settings()
    checks = {"database": "ok" if database().reachable() else "unreachable"}
    if config.redis_url is None:
        checks["redis"] = "embedded"
    else:
        checks["redis"] = "ok" if redis_reachable(config.redis_url) else "unreachable"
    healthy = all(value in ("ok", "embedded") for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": checks}
    return jsonify(body), 200 if healthy else 503
