"""The streaming measure of a JSON body: nesting, members and strings, across any chunking."""

from __future__ import annotations

import json

import pytest

from services.api.errors import ProblemError
from services.api.http.limits import JsonBounds, JsonShape

BOUNDS = JsonBounds(depth=4, members=3, string_bytes=8)
CHUNKINGS = [None, 1, 2, 3, 5]


def _status(text: bytes, chunk: int | None, *, lines: bool = False) -> int:
    """200 when the text is within bounds, else the problem's status."""
    shape = JsonShape(BOUNDS, lines=lines)
    try:
        if chunk is None:
            shape.check(text)
        else:
            for start in range(0, len(text), chunk):
                shape.feed(text[start : start + chunk])
    except ProblemError as problem:
        return problem.status if problem.errors[0].field == "body" else 500
    return 200


@pytest.mark.parametrize("chunk", CHUNKINGS)
@pytest.mark.parametrize(
    ("text", "status"),
    [
        (b"[[[[1]]]]", 200),
        (b"[[[[[1]]]]]", 422),
        (b'{"a":{"b":{"c":{"d":1}}}}', 200),
        (b'{"a":{"b":{"c":{"d":{"e":1}}}}}', 422),
        # Brackets inside strings, escaped quotes and escaped backslashes are not structure.
        (b'["[[[[[[", "\\"[[[[["]', 200),
        (b'["\\\\", [[[1]]]]', 200),
        (b'["\\\\", [[[[1]]]]]', 422),
        (b"[1,2,3]", 200),
        (b"[1,2,3,4]", 413),
        (b'{"a":1,"b":2,"c":3,"d":4}', 413),
        (b'[["a,b,c,d"], [1,2], [3]]', 200),
        (b'"12345678"', 200),
        (b'"123456789"', 413),
        (b'["\\u0041bc"]', 200),
    ],
)
def test_bounds_hold_however_the_body_is_cut(text: bytes, status: int, chunk: int | None) -> None:
    json.loads(text)  # every case is valid JSON: the measure is about size, not syntax
    assert _status(text, chunk) == status


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_each_ndjson_line_is_measured_on_its_own(chunk: int | None) -> None:
    lines = b"[[[[1]]]]\n[[[[1]]]]\n[1,2,3]\n"
    assert _status(lines, chunk, lines=True) == 200
    # One line deeper than the bound, wherever it falls.
    assert _status(lines + b"[[[[[1]]]]]\n" + lines, chunk, lines=True) == 422
    # A line that never closes does not carry its depth into the next.
    assert _status(b"[[[\n[[[\n[[[[1]]]]", chunk, lines=True) == 200


def test_a_normal_body_is_passed_by_counts_alone() -> None:
    shape = JsonShape(JsonBounds())
    shape.check(json.dumps({"kind": "complaint", "person": {"name": "A"}}).encode())
    # Nothing of the body is left in the measure for the next one.
    shape.check(b"[1]")


def test_a_deep_body_is_refused_at_the_first_level_too_many() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    shape = JsonShape(JsonBounds(depth=32))
    with pytest.raises(ProblemError) as refused:
        shape.feed(deep[:65536])
    assert refused.value.status == 422
    assert "nested more than 32 levels" in refused.value.detail
