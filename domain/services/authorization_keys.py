"""AuthorizationKeys, the HTTP Basic passwords of security profiles 1 and 2: the security
whitepaper's rules, rotation through ChangeConfiguration, logins during a rotation, and
keeping key values out of everything stored.

OCPP 1.6 security whitepaper (AuthorizationKey): at least 16 bytes, at most 20, written as
a string of up to 40 hexadecimal digits; the charger's Basic password is those bytes. Many
chargers send the hexadecimal text itself, so a login is checked against both readings.
Keys an operator provisions (the key a charger was set up with) may also be 16 to 40
printable ASCII characters, as sent.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ocpp.v16.enums import Action

from domain.errors import InvalidInput
from domain.models import Charger
from domain.passwords import CHARGER_KEY_ITERATIONS, hash_secret, verify_secret

AUTHORIZATION_KEY = "AuthorizationKey"
REDACTED = "<redacted>"
MIN_KEY_BYTES, MAX_KEY_BYTES = 16, 20
_HEX_KEY = re.compile(r"^(?:[0-9A-Fa-f]{2}){16,20}$")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")


def check_new_key(key: str) -> str:
    """`key` if it follows the whitepaper (32 to 40 hexadecimal digits, whole bytes);
    raises InvalidInput."""
    if not _HEX_KEY.match(key):
        raise InvalidInput(
            "an AuthorizationKey is 16 to 20 bytes written as 32 to 40 hexadecimal digits"
        )
    return key


def key_hash(key: str | None) -> str | None:
    """The stored form of a key (hexadecimal keys without case), or None for no key."""
    return hash_secret(_canonical(key), CHARGER_KEY_ITERATIONS) if key else None


def is_key_change(action: str, payload: Any) -> bool:
    return (
        action == Action.change_configuration
        and isinstance(payload, dict)
        and payload.get("key") == AUTHORIZATION_KEY
    )


def redact(action: str | None, payload: Any) -> Any:
    """`payload` of an `action` frame (request or answer) with every AuthorizationKey value
    replaced by REDACTED; the same object when there is none."""
    if is_key_change(action, payload) and "value" in payload:
        return {**payload, "value": REDACTED}
    if action == Action.get_configuration and isinstance(payload, dict):
        entries = payload.get("configurationKey")
        if isinstance(entries, list) and any(_is_key_entry(entry) for entry in entries):
            redacted = copy.deepcopy(payload)
            for entry in redacted["configurationKey"]:
                if _is_key_entry(entry) and "value" in entry:
                    entry["value"] = REDACTED
            return redacted
    return payload


def redact_answer(answer: Any) -> Any:
    """A command's answer with any AuthorizationKey value redacted (only a GetConfiguration
    answer lists configuration keys, and a charger should never report this one)."""
    return redact(Action.get_configuration, answer)


def begin_key_change(charger: Charger, command_id: str, key: str) -> None:
    """Remember the new key of the ChangeConfiguration(AuthorizationKey) `command_id` until
    the charger answers it (not flushed). Raises InvalidInput for a key against the rules."""
    charger.pending_authorization_key_hash = key_hash(check_new_key(key))
    charger.pending_authorization_key_command = command_id


def key_change_accepted(charger: Charger, command_id: str) -> None:
    """The charger accepted the ChangeConfiguration(AuthorizationKey) `command_id`: its new
    key becomes the stored one, the current one stays valid until the new one's first login
    (not flushed)."""
    if charger.pending_authorization_key_command != command_id:
        return  # a later rotation replaced this one
    charger.previous_authorization_key_hash = charger.authorization_key_hash
    charger.authorization_key_hash = charger.pending_authorization_key_hash
    _forget_pending(charger)


def key_change_refused(charger: Charger, command_id: str) -> None:
    """The charger did not take the new key of `command_id`: nothing changes."""
    if charger.pending_authorization_key_command == command_id:
        _forget_pending(charger)


def set_key(charger: Charger, key: str | None) -> None:
    """Provisioning: `key` (or none) is the charger's key from now on, alone (not flushed)."""
    charger.authorization_key_hash = key_hash(key)
    charger.previous_authorization_key_hash = None
    _forget_pending(charger)


def login_with_key(charger: Charger, password: bytes) -> bool:
    """Whether `password` (the Basic password's bytes) is the charger's key. The first login
    with a key switched to by a rotation retires the previous key (not flushed); until then
    the previous key is accepted too. A login with the key of a rotation still awaiting its
    answer switches to it at once."""
    candidates = _candidates(password)
    if any(verify_secret(text, charger.authorization_key_hash) for text in candidates):
        charger.previous_authorization_key_hash = None
        return True
    pending = charger.pending_authorization_key_hash
    if pending is not None and any(verify_secret(text, pending) for text in candidates):
        # The charger took the new key but its answer was lost (Timeout, closed socket).
        charger.authorization_key_hash = pending
        charger.previous_authorization_key_hash = None
        _forget_pending(charger)
        return True
    previous = charger.previous_authorization_key_hash
    return previous is not None and any(verify_secret(text, previous) for text in candidates)


def _candidates(password: bytes) -> list[str]:
    texts = []
    try:
        text = password.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        texts.append(text)
        if _HEX.match(text) and text.lower() != text:
            texts.append(text.lower())
    if MIN_KEY_BYTES <= len(password) <= MAX_KEY_BYTES:
        texts.append(password.hex())
    return list(dict.fromkeys(texts))


def _canonical(key: str) -> str:
    return key.lower() if _HEX_KEY.match(key) else key


def _is_key_entry(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("key") == AUTHORIZATION_KEY


def _forget_pending(charger: Charger) -> None:
    charger.pending_authorization_key_hash = None
    charger.pending_authorization_key_command = None
