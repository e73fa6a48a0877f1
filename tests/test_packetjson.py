"""voting.packetjson: packets encoded by orjson read back as the standard library's do."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting import packetjson

# What a payload holds: JSON values, with option ids as keys now and then.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
payloads = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text() | st.integers(0, 10**6), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(payloads)
def test_a_packet_decodes_to_what_the_standard_encoder_gives(value):
    encoded = packetjson.dumps(value, separators=(",", ":"))
    assert isinstance(encoded, str)
    assert json.loads(encoded) == json.loads(json.dumps(value))


def test_what_orjson_refuses_is_encoded_by_the_standard_library():
    """An integer beyond 64 bits and a lone surrogate: valid JSON all the same."""
    value = {"big": 2**70, "cut": "emoji \ud83d half"}
    assert json.loads(packetjson.dumps(value)) == value


def test_text_enums_and_non_ascii_text_are_sent_as_text():
    class Kind(enum.StrEnum):
        choice = "choice"

    encoded = packetjson.dumps({"kind": Kind.choice, "title": "Réunions à Zürich"})
    assert encoded == '{"kind":"choice","title":"Réunions à Zürich"}'


def test_dates_and_dataclasses_are_refused_as_the_standard_library_refuses_them():
    """A model value leaking into a packet stays an error to see, not data sent."""

    @dataclasses.dataclass
    class Ref:
        id: int

    for leaked in (dt.datetime(2026, 11, 27, 9, 0), dt.date(2026, 11, 27), Ref(1)):
        with pytest.raises(TypeError):
            packetjson.dumps({"value": leaked})


def test_a_float_that_is_not_a_number_is_sent_as_null_not_as_invalid_json():
    assert json.loads(packetjson.dumps({"average": float("nan")})) == {"average": None}
