"""The domain's error hierarchy, mapped once to HTTP (web/api) and once to OCPP (web/ocpp)."""


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The named thing does not exist."""


class ChargerNotRegistered(NotFound):
    """A charger-initiated call names a charger the central system does not know (any more)."""


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, wrong state)."""


class InvalidInput(DomainError):
    """Well-formed but unacceptable values."""


class PermissionDenied(DomainError):
    """The caller may not do this."""


class ChargerOffline(DomainError):
    """No node holds a socket for the charger."""


class TooManyAttempts(DomainError):
    """Too many failed attempts lately; the next one is heard after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
