"""The batch-body reader keeps each item's JSON text and agrees with json.loads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.errors import RequestFormatError
from driftpilot.server._body import parse_batch

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(
    items=st.lists(values, max_size=6),
    others=st.dictionaries(st.text().filter(lambda k: k != "events"), values, max_size=3),
    indent=st.sampled_from([None, 0, 2]),
    first=st.booleans(),
)
def test_items_and_their_texts_match_json_loads(
    items: list[Any], others: dict[str, Any], indent: int | None, first: bool
) -> None:
    document = {"events": items, **others} if first else {**others, "events": items}
    body = json.dumps(document, indent=indent, ensure_ascii=indent is None).encode()
    parsed, texts = parse_batch(body, "events")
    assert parsed == json.loads(body)
    assert texts is not None
    assert [json.loads(text) for text in texts] == items


@pytest.mark.parametrize(
    "body", [b"[1, 2]", b'{"events": 3}', b'{"other": 1}', '{"events": ["é"]}'.encode("utf-16")]
)
def test_other_shapes_fall_back_to_json_loads(body: bytes) -> None:
    parsed, texts = parse_batch(body, "events")
    assert parsed == json.loads(body)
    assert texts is None


@pytest.mark.parametrize("body", [b"", b"{", b'{"events": [1,]}', b"\xff\xfe\xfa", b"[" * 100_000])
def test_invalid_json_is_a_request_format_error(body: bytes) -> None:
    with pytest.raises(RequestFormatError, match="not valid JSON"):
        parse_batch(body, "events")
