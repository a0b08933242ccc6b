"""The reporter's contract with the API is openapi/openapi.json: its models and requests agree.

Every reporter model naming a component schema must find each of its fields there, with a
JSON type the model accepts, required where the model requires it. Every request the reporter
sends must be one the spec declares, with declared parameters and valid values and bodies; the
canned answers the tests use must be valid answers too.
"""

from __future__ import annotations

import copy
import json
import re
import types
import typing
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from fake_api import FakeApi
from pydantic import BaseModel

from services.reporter import api_models
from services.reporter.annual import compile_annual
from services.reporter.api_models import ApiModel
from services.reporter.client import ApiClient
from services.reporter.financial_year import FinancialYear
from services.reporter.history import compile_history
from services.reporter.ledger import compile_ledger
from services.reporter.letter import compile_review
from services.reporter.settings import ReporterSettings
from services.reporter.worker import run_worker

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
Spec = dict[str, Any]


@cache
def load_spec() -> Spec:
    spec: Spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def reporter_models() -> list[type[ApiModel]]:
    found = [
        value
        for value in vars(api_models).values()
        if isinstance(value, type) and issubclass(value, ApiModel) and "__schema__" in vars(value)
    ]
    return sorted(found, key=lambda m: m.__name__)


# -- JSON types ----------------------------------------------------------------------------


def schema_types(schema: dict[str, Any], spec: Spec) -> set[str]:
    """The JSON types a schema admits; "any" when it does not say."""
    if "$ref" in schema:
        return schema_types(resolve(schema["$ref"], spec), spec)
    options = schema.get("anyOf", schema.get("oneOf"))
    if options is not None:
        return set().union(*(schema_types(s, spec) for s in options))
    kind = schema.get("type")
    if kind is None:
        return {"any"}
    return set(kind) if isinstance(kind, list) else {kind}


def resolve(ref: str, spec: Spec) -> dict[str, Any]:
    name = ref.removeprefix("#/components/schemas/")
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def python_types(annotation: Any) -> set[str]:
    """The JSON types a model field accepts."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(python_types(a) for a in typing.get_args(annotation)))
    if origin is typing.Literal:
        return set().union(*(python_types(type(v)) for v in typing.get_args(annotation)))
    if origin is list:
        return {"array"}
    if origin is dict:
        return {"object"}
    simple = {
        type(None): {"null"},
        bool: {"boolean"},
        int: {"integer"},
        float: {"number", "integer"},
        str: {"string"},
        date: {"string"},
        datetime: {"string"},
    }
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"object"}
    raise AssertionError(f"the contract test does not know the type {annotation!r}")


def item_model(annotation: Any) -> type[ApiModel] | None:
    """X for a field typed list[X] where X mirrors a schema."""
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, ApiModel) and "__schema__" in vars(item):
            return item
    return None


def contract_problems(model: type[ApiModel], spec: Spec) -> list[str]:
    """How a model disagrees with its schema; empty when they agree."""
    schemas = spec["components"]["schemas"]
    name = model.__schema__
    if name not in schemas:
        return [f"{model.__name__}: no schema {name} in components.schemas"]
    schema = schemas[name]
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    problems = []
    for field_name, field in model.model_fields.items():
        where = f"{model.__name__}.{field_name} ({name})"
        if field_name not in properties:
            problems.append(f"{where}: not a property of the schema")
            continue
        prop = properties[field_name]
        admitted = schema_types(prop, spec)
        accepted = python_types(field.annotation)
        if "any" not in admitted and not admitted <= accepted:
            problems.append(
                f"{where}: schema says {sorted(admitted)}, model takes {sorted(accepted)}"
            )
        if field.is_required() and field_name not in required:
            problems.append(f"{where}: the model requires it, the schema does not")
        nested = item_model(field.annotation)
        if nested is not None:
            ref = prop.get("items", {}).get("$ref", "")
            if ref != f"#/components/schemas/{nested.__schema__}":
                problems.append(f"{where}: items are {ref or 'untyped'}, not {nested.__schema__}")
    return problems


def test_the_reporter_has_models_to_check() -> None:
    names = {m.__schema__ for m in reporter_models()}
    assert {"FeedbackCountRow", "TimelinessRow", "LedgerRow", "ReportRunPublic"} <= names


@pytest.mark.parametrize("model", reporter_models(), ids=lambda m: m.__name__)
def test_each_model_agrees_with_its_schema(model: type[ApiModel]) -> None:
    assert contract_problems(model, load_spec()) == []


def renamed(spec: Spec, schema: str, old: str, new: str) -> Spec:
    changed = copy.deepcopy(spec)
    target = changed["components"]["schemas"][schema]
    target["properties"][new] = target["properties"].pop(old)
    target["required"] = [new if r == old else r for r in target.get("required", [])]
    return changed


def test_a_field_renamed_in_the_spec_breaks_the_contract() -> None:
    spec = renamed(load_spec(), "FeedbackCountRow", "count", "total")
    assert contract_problems(api_models.FeedbackCountRow, spec) == [
        "FeedbackCountRow.count (FeedbackCountRow): not a property of the schema"
    ]


def test_a_field_renamed_in_the_model_breaks_the_contract() -> None:
    class Renamed(ApiModel):
        __schema__ = "LedgerRow"
        ombudsman_reference: str

    assert contract_problems(Renamed, load_spec()) == [
        "Renamed.ombudsman_reference (LedgerRow): not a property of the schema"
    ]


def test_a_type_or_nullability_change_breaks_the_contract() -> None:
    spec = copy.deepcopy(load_spec())
    row = spec["components"]["schemas"]["LedgerRow"]["properties"]
    row["amount_pence"] = {"type": "string"}
    row["description"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    problems = contract_problems(api_models.LedgerRow, spec)
    assert sorted(p.split(" ")[0] for p in problems) == [
        "LedgerRow.amount_pence",
        "LedgerRow.description",
    ]


def test_a_required_field_dropped_from_required_breaks_the_contract() -> None:
    spec = copy.deepcopy(load_spec())
    spec["components"]["schemas"]["TeamPublic"]["required"].remove("active_from")
    assert contract_problems(api_models.Team, spec) == [
        "Team.active_from (TeamPublic): the model requires it, the schema does not"
    ]


@pytest.mark.parametrize(
    ("values", "schema"),
    [
        (api_models.REMEDY_TYPES, "RemedyType"),
        (api_models.OMBUDSMAN_DECISIONS, "OmbudsmanDecision"),
        (api_models.DECISION_STAGES, "DecisionStage"),
        (api_models.OMBUDSMAN_SERVICE_CATEGORIES, "OmbudsmanServiceCategory"),
        (api_models.FINDINGS, "Finding"),
        (api_models.OUTCOMES, "Outcome"),
    ],
)
def test_the_enumerations_the_reports_order_by_are_the_specs(
    values: tuple[str, ...], schema: str
) -> None:
    assert list(values) == load_spec()["components"]["schemas"][schema]["enum"]


# -- requests ------------------------------------------------------------------------------


def operation_for(method: str, path: str, spec: Spec) -> tuple[str, dict[str, Any]]:
    # A literal segment (/claim) wins over a parameter ({run_id}): fewest parameters first.
    for template in sorted(spec["paths"], key=lambda t: t.count("{")):
        item = spec["paths"][template]
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the spec")


def enum_of(schema: dict[str, Any], spec: Spec) -> list[Any] | None:
    if "$ref" in schema:
        return enum_of(resolve(schema["$ref"], spec), spec)
    if "enum" in schema:
        values: list[Any] = schema["enum"]
        return values
    for option in schema.get("anyOf", []):
        found = enum_of(option, spec)
        if found is not None:
            return found
    if "items" in schema:
        return enum_of(schema["items"], spec)
    return None


def validate(instance: Any, schema: dict[str, Any], spec: Spec) -> None:
    document = {**schema, "components": spec["components"]}
    jsonschema.Draft202012Validator(document).validate(instance)


def request_problems(request: httpx.Request, response: httpx.Response, spec: Spec) -> list[str]:
    method, path = request.method, request.url.path
    template, operation = operation_for(method, path, spec)
    label = f"{method} {template}"
    problems = []
    declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    params = request.url.params
    for name in params:
        if name not in declared:
            problems.append(f"{label}: undeclared query parameter {name}")
            continue
        allowed = enum_of(declared[name]["schema"], spec)
        if allowed is not None:
            problems += [
                f"{label}: {name}={value} is not one of {allowed}"
                for value in params.get_list(name)
                if value not in allowed
            ]
    problems += [
        f"{label}: required parameter {name} missing"
        for name, p in declared.items()
        if p.get("required") and name not in params
    ]
    if request.content:
        content = operation.get("requestBody", {}).get("content", {})
        content_type = request.headers.get("content-type", "")
        if content_type not in content:
            problems.append(f"{label}: body type {content_type} not in {sorted(content)}")
        elif content_type == "application/json" and "$ref" in content[content_type]["schema"]:
            validate(json.loads(request.content), content[content_type]["schema"], spec)
    answer = operation["responses"].get(str(response.status_code))
    if answer is None:
        problems.append(f"{label}: the spec has no {response.status_code} answer")
    elif response.content and "schema" in answer.get("content", {}).get("application/json", {}):
        validate(response.json(), answer["content"]["application/json"]["schema"], spec)
    return problems


def exercise_the_reporter() -> FakeApi:
    """Every kind of request the reporter makes, against the canned API."""
    api = FakeApi(queue=[("annual", "2018-19"), ("ledger", "2018-19")])
    settings = ReporterSettings(api_url="http://api.test", worker_name="w", poll_seconds=0)
    year = FinancialYear(2018)
    with ApiClient(settings, transport=api.transport()) as client:
        compile_annual(client, year)
        compile_history(client, year)
        compile_ledger(client, year, date(2019, 3, 31))
        compile_review(client, year, date(2019, 3, 31))
        client.remedy_totals(year, year, group_by=["service", "type"], as_of=date(2019, 3, 31))
        client.teams(service="children", active_on=date(2019, 3, 31))
        client.natures(service="children")
        client.escalation_counts(year, service="children", stage="stage3_review")
        client.feedback_counts(year, team="children-disability")
        run_worker(client, settings, once=True)
        client.fail_run(9, "w", "ValueError: boom")
    return api


def test_every_request_and_canned_answer_is_in_the_spec() -> None:
    spec = load_spec()
    api = exercise_the_reporter()
    assert len(api.requests) > 20
    problems = [
        problem
        for request, response in zip(api.requests, api.responses, strict=True)
        for problem in request_problems(request, response, spec)
    ]
    assert problems == []


def test_the_reporter_only_uses_stats_reference_and_report_runs() -> None:
    api = exercise_the_reporter()
    allowed = ("/v1/stats/", "/v1/reference/", "/v1/report-runs")
    assert all(r.url.path.startswith(allowed) for r in api.requests)
    assert not any(r.url.path.startswith("/v1/feedback") for r in api.requests)


def test_a_request_off_the_spec_is_caught() -> None:
    spec = load_spec()
    request = httpx.Request(
        "GET", "http://api.test/v1/stats/feedback?from_year=2018-19&group_by=ward"
    )
    response = httpx.Response(200, json={"group_by": [], "rows": []})
    assert request_problems(request, response, spec) == [
        "GET /v1/stats/feedback: group_by=ward is not one of "
        "['service', 'team', 'kind', 'procedure', 'nature', 'outcome', 'status', 'channel']"
    ]
