"""The operator dashboard: a static page driven by the REST API and /api/events."""

from web.dashboard.views import blueprint

__all__ = ["blueprint"]
