"""CALLERROR codes as OCPP-J 1.6 spells them, and the one mapping from exceptions to them.

The `ocpp` package answers some cases with 2.0.1 words (FormatViolation) and swaps the
descriptions of NotImplemented and NotSupported; a 1.6 charger gets the 1.6 table here.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.exc import SQLAlchemyError

from domain.errors import (
    ChargerNotRegistered,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


class CallErrorCode(StrEnum):
    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMATION_VIOLATION = "FormationViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"


# OCPP-J 1.6 section 4.2.3, table "Valid Error Codes".
DESCRIPTIONS = {
    CallErrorCode.NOT_IMPLEMENTED: "Requested Action is not known by receiver",
    CallErrorCode.NOT_SUPPORTED: "Requested Action is recognized but not supported by the receiver",
    CallErrorCode.INTERNAL_ERROR: (
        "An internal error occurred and the receiver was not able to process the "
        "requested Action successfully"
    ),
    CallErrorCode.PROTOCOL_ERROR: "Payload for Action is incomplete",
    CallErrorCode.SECURITY_ERROR: (
        "During the processing of Action a security issue occurred preventing receiver "
        "from completing the Action successfully"
    ),
    CallErrorCode.FORMATION_VIOLATION: (
        "Payload for Action is syntactically incorrect or not conform the PDU structure for Action"
    ),
    CallErrorCode.PROPERTY_CONSTRAINT_VIOLATION: (
        "Payload is syntactically correct but at least one field contains an invalid value"
    ),
    CallErrorCode.OCCURENCE_CONSTRAINT_VIOLATION: (
        "Payload for Action is syntactically correct but at least one of the fields "
        "violates occurence constraints"
    ),
    CallErrorCode.TYPE_CONSTRAINT_VIOLATION: (
        "Payload for Action is syntactically correct but at least one of the fields "
        "violates data type constraints"
    ),
    CallErrorCode.GENERIC_ERROR: "Any other error not covered by the previous ones",
}

_DOMAIN_CODES = (
    (ChargerNotRegistered, CallErrorCode.SECURITY_ERROR),
    (InvalidInput, CallErrorCode.PROPERTY_CONSTRAINT_VIOLATION),
    (NotFound, CallErrorCode.PROPERTY_CONSTRAINT_VIOLATION),
    (Conflict, CallErrorCode.GENERIC_ERROR),
    (PermissionDenied, CallErrorCode.SECURITY_ERROR),
)


class CallErrorReply(Exception):
    """Answer the CALL being handled with this CALLERROR instead of a `.conf`."""

    def __init__(self, code: CallErrorCode, description: str | None = None, details=None):
        super().__init__(description or DESCRIPTIONS[code])
        self.code = code
        self.description = description or DESCRIPTIONS[code]
        self.details = details or {}


def call_error_for(error: BaseException) -> CallErrorReply:
    """The CALLERROR a charger gets for an exception raised while handling its CALL.

    Database failures and anything unexpected are InternalError: no `.conf` is sent, so
    the charger retries a message we could not store.
    """
    if isinstance(error, CallErrorReply):
        return error
    if isinstance(error, DomainError):
        for kind, code in _DOMAIN_CODES:
            if isinstance(error, kind):
                return CallErrorReply(code, error.message)
    if isinstance(error, SQLAlchemyError):
        return CallErrorReply(CallErrorCode.INTERNAL_ERROR, "the message could not be stored")
    return CallErrorReply(CallErrorCode.INTERNAL_ERROR)
