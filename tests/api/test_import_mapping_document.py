"""A saved mapping's document says what the API takes: a body it allows is saved (or refused
only by a rule of the reference data), a body it refuses is refused, naming the part.

The document is read as a client's validator reads it (JSON Schema 2020-12, as OpenAPI 3.1
has it), so a constraint the models enforce but the document leaves out fails here, not in
a fuzzing run.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema
import pytest
from factories import patch_current
from spreadsheets import complaints_mapping

from services.api.main import create_app
from services.api.models.base import RULE
from services.api.settings import Settings

COMPONENTS = create_app(Settings()).openapi()["components"]

Change = Callable[[dict[str, Any]], None]


def _column(index: int, **rule: Any) -> Change:
    def change(sheet: dict[str, Any]) -> None:
        sheet["columns"][index] = {"column": sheet["columns"][index]["column"], **rule}

    return change


def _add_column(**rule: Any) -> Change:
    return lambda sheet: sheet["columns"].append({"column": "Notes", **rule})


def _set(key: str, value: Any) -> Change:
    return lambda sheet: sheet.update({key: value})


def _fixed(key: str, value: Any) -> Change:
    return lambda sheet: sheet["fixed"].update({key: value})


def _value(index: int, key: str, value: Any) -> Change:
    return lambda sheet: sheet["columns"][index].setdefault("values", {}).update({key: value})


DAYS = 7  # the `within_working_days` column of `complaints_mapping`
OUTCOME = 5

ACCEPTED: dict[str, Change] = {
    "a column that fills a field, with explicit nulls": _column(1, field="team", check=None),
    "a column only named": _add_column(),
    "a column only named, with an empty value map": _add_column(values={}, days=None),
    "a check without days": _add_column(check="on_time", values={"Yes": True, "No": False}),
    "days as a whole float": _column(DAYS, check="within_working_days", days=20.0),
    "a header row as a whole float": _set("header_row", 3.0),
    "a value map's key trimmed of spacing": _value(OUTCOME, " Partially ", "partly_upheld"),
    "a blank value": _value(OUTCOME, "Unknown", None),
}
REFUSED: dict[str, tuple[Change, str]] = {
    "a field and a check": (
        _column(1, field="team", check="on_time"),
        "sheets.0.columns.1",
    ),
    "days without within_working_days": (
        _column(DAYS, check="on_time", days=20),
        "sheets.0.columns.7",
    ),
    "within_working_days without days": (
        _column(DAYS, check="within_working_days"),
        "sheets.0.columns.7",
    ),
    "days on a field": (_column(1, field="team", days=5), "sheets.0.columns.1"),
    "a value map without a field or a check": (
        _add_column(values={"Yes": True}),
        "sheets.0.columns.8",
    ),
    "days as a fraction": (
        _column(DAYS, check="within_working_days", days=20.5),
        "sheets.0.columns.7.days",
    ),
    "a blank column name": (_column(1, column=" ", field="team"), "sheets.0.columns.1.column"),
    "a blank sheet name": (_set("sheet", "\t"), "sheets.0.sheet"),
    "a fixed key that is no field path": (_fixed("Kind", "complaint"), "sheets.0.fixed.Kind"),
    "a value map's key holding NUL": (
        _value(OUTCOME, "Part\x00ly", "partly_upheld"),
        "sheets.0.columns.5.values",
    ),
    "a value map's blank key": (
        _value(OUTCOME, "   ", "partly_upheld"),
        "sheets.0.columns.5.values",
    ),
    "a value map's value that is a list": (
        _value(OUTCOME, "Partly", ["partly_upheld"]),
        "sheets.0.columns.5.values.Partly",
    ),
}


def document_allows(body: dict[str, Any], schema: str) -> bool:
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": COMPONENTS}
    )
    return validator.is_valid(body)


def _mapping(change: Change) -> dict[str, Any]:
    mapping = complaints_mapping(f"t-{uuid.uuid4().hex[:8]}")
    change(mapping["sheets"][0])
    return mapping


@pytest.mark.parametrize("change", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_a_mapping_the_document_allows_is_saved(
    client: httpx.AsyncClient, change: Change
) -> None:
    mapping = _mapping(change)
    assert document_allows(mapping, "ImportMappingCreate-Input")
    response = await client.post("/v1/import-mappings", json=mapping)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("change", "field"), REFUSED.values(), ids=REFUSED.keys())
async def test_a_mapping_the_document_refuses_is_refused_naming_its_part(
    client: httpx.AsyncClient, change: Change, field: str
) -> None:
    mapping = _mapping(change)
    assert not document_allows(mapping, "ImportMappingCreate-Input")
    response = await client.post("/v1/import-mappings", json=mapping)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"].startswith(field) for e in errors), errors
    # What the document states is refused as such, not as a rule it cannot state.
    assert all(e["type"] != RULE for e in errors), errors


async def test_a_whole_float_is_the_number_and_never_a_yes(client: httpx.AsyncClient) -> None:
    mapping = _mapping(_set("header_row", 1.0))
    saved = await client.post("/v1/import-mappings", json=mapping)
    assert saved.status_code == 201, saved.text
    assert saved.json()["sheets"][0]["header_row"] == 1
    # 1.0 is the number one, which is no answer to a yes/no field.
    flag = _mapping(_fixed("lessons_publishable", 1.0))
    refused = await client.post("/v1/import-mappings", json=flag)
    assert refused.status_code == 422, refused.text
    errors = [(e["field"], e["detail"]) for e in refused.json()["errors"]]
    assert errors == [("sheets.0.fixed.lessons_publishable", "must be true or false")]


@pytest.mark.parametrize("key", ["source_system", "sheets"])
async def test_a_change_cannot_set_a_kept_part_to_null_and_the_document_says_so(
    client: httpx.AsyncClient, key: str
) -> None:
    mapping = _mapping(lambda sheet: None)
    assert (await client.post("/v1/import-mappings", json=mapping)).status_code == 201
    change = {key: None}
    assert not document_allows(change, "ImportMappingUpdate")
    response = await patch_current(client, f"/v1/import-mappings/{mapping['name']}", json=change)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [key]


def test_every_column_the_document_allows_has_one_shape() -> None:
    # The shapes exclude one another, so a client's validator names the one a column is.
    shapes = COMPONENTS["schemas"]["ColumnRule-Input"]["oneOf"]
    for column in [
        {"column": "A", "field": "team"},
        {"column": "A", "check": "on_time"},
        {"column": "A", "check": "within_working_days", "days": 20},
        {"column": "A"},
    ]:
        matched = [
            s["title"]
            for s in shapes
            if jsonschema.Draft202012Validator(copy.deepcopy(s)).is_valid(column)
        ]
        assert len(matched) == 1, (column, matched)
