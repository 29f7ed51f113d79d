"""Field types shared by the API's schemas: UTC times with `Z`, text PostgreSQL can store."""

from __future__ import annotations

import re

import marshmallow as ma
from werkzeug.routing import BaseConverter

from domain.clock import parse_timestamp, to_wire
from domain.models.chargers import CHARGER_NAME_LENGTH

# PostgreSQL text cannot hold NUL; refusing it here keeps such input a 422, not a 500.
NO_NUL = r"^[^\x00]*$"
# Names (chargers, users, idTags) travel in URLs: no slash, no control characters.
NAME = r"^[^/\x00-\x1f\x7f]+$"
# A charger's name as a URL path segment, for routes.
CHARGER_IN_URL = f"<name({CHARGER_NAME_LENGTH}):name>"
USERNAME_LENGTH = 150
ID_TAG_LENGTH = 20


class UTCDateTime(ma.fields.DateTime):
    """ISO-8601 in, UTC with `Z` and milliseconds out; a time without offset is UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        return to_wire(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None


def text(max_length: int, *, min_length: int = 0, pattern: str = NO_NUL, **kwargs):
    """A string field bounded like its database column."""
    return ma.fields.String(
        validate=[
            ma.validate.Length(min=min_length, max=max_length),
            ma.validate.Regexp(pattern, error="contains characters that are not allowed"),
        ],
        **kwargs,
    )


def name(max_length: int, *, reserved: str | None = None, **kwargs):
    """A name that can be used in a URL (and is none of the `reserved` words, "|"-separated);
    see NameConverter."""
    field = text(max_length, min_length=1, pattern=NAME, **kwargs)
    if reserved:
        field.validators.append(ma.validate.NoneOf(reserved.split("|")))
    return field


def charger_name(**kwargs):
    return name(CHARGER_NAME_LENGTH, **kwargs)


def one_of(choices, **kwargs):
    """A string limited to the values of an enum (documented as `enum`)."""
    return ma.fields.String(validate=ma.validate.OneOf([str(c) for c in choices]), **kwargs)


class NameConverter(BaseConverter):
    """`<name(N):x>` in a route: what `name(N)` accepts, anything else is a 404.

    `<name(N, reserved='word'):x>` leaves `word` to a sibling route such as `connected/`,
    so that path answers only for the methods it has (and its Allow header says so);
    `reserved='one|two'` leaves several words."""

    def __init__(self, url_map, max_length: int, reserved: str | None = None):
        super().__init__(url_map)
        self.max_length = max_length
        self.reserved = reserved
        words = "|".join(re.escape(word) for word in reserved.split("|")) if reserved else ""
        not_reserved = f"(?!(?:{words})$)" if reserved else ""
        self.regex = not_reserved + rf"[^/\x00-\x1f\x7f]{{1,{max_length}}}"


def name_parameter(converter: NameConverter) -> dict:
    schema = {"type": "string", "minLength": 1, "maxLength": converter.max_length, "pattern": NAME}
    if converter.reserved:
        schema["not"] = {"enum": converter.reserved.split("|")}
    return schema


class StrictBoolean(ma.fields.Boolean):
    """JSON true or false only (marshmallow's Boolean also takes 1, "yes", "on"...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
