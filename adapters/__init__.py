"""What the web process and the Celery workers both need, with no Flask and no Celery:
metric recording, charger presence and the outbox dispatch port.

`domain` is below this room; `web` and `tasks` are above it and never import each other.
The composition root (`bootstrap.py`) wires the concrete pieces together.
"""
