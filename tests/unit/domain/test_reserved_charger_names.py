"""The words the REST API lists under /api/chargers/ cannot name a charger."""

import pytest

from domain.errors import InvalidInput
from domain.services.chargers import RESERVED_CHARGER_NAMES, create_charger


@pytest.mark.parametrize("name", sorted(RESERVED_CHARGER_NAMES))
def test_a_reserved_word_is_refused_before_anything_is_written(name):
    class NoSession:  # nothing may be looked up or added for a reserved name
        def __getattr__(self, attribute):
            raise AssertionError(f"session.{attribute} used for a reserved name")

    with pytest.raises(InvalidInput, match="reserved"):
        create_charger(NoSession(), name)
