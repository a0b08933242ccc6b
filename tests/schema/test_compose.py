"""docker-compose.yml against the Compose Specification schema, and the container design.

No database and no Docker engine: these read docker-compose.yml, the Dockerfile and the
vendored schema (tests/schema/compose-spec.json) only.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from services.api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA_FILE = Path(__file__).resolve().parent / "compose-spec.json"

DATABASE_SERVICES = ("migrate", "api")


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def _compose() -> dict[str, Any]:
    """A fresh copy of docker-compose.yml each time, so a test may alter it."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


def _validator_class() -> type[Validator]:
    # The schema spells its draft as https://json-schema.org/draft-07/schema, which jsonschema
    # does not register; the default keeps the draft it names instead of the newest one.
    cls: type[Validator] = validator_for(_schema(), default=Draft7Validator)
    return cls


def _schema_errors(document: dict[str, Any]) -> list[str]:
    """Every violation of the Compose Specification, as 'path: message' lines."""
    validator = _validator_class()(_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    return [_describe(error) for error in errors]


def _describe(error: ValidationError) -> str:
    """'path: message'; for a failed oneOf/anyOf, the deepest reason underneath it."""
    while error.context:
        error = max(error.context, key=lambda sub: len(sub.absolute_path))
    return f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _compose()["services"][name]
    return service


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, whether written as a mapping or as a list of KEY=VALUE."""
    raw = service.get("environment", {})
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def _last(instruction: str) -> str:
    found = [args for keyword, args in _dockerfile_instructions() if keyword == instruction]
    assert found, f"the Dockerfile has no {instruction} instruction"
    return found[-1]


# The schema itself


def test_vendored_schema_is_a_valid_draft_07_schema() -> None:
    assert "draft-07" in _schema()["$schema"]
    assert _validator_class() is Draft7Validator
    Draft7Validator.check_schema(_schema())


def test_schema_rejects_an_unknown_depends_on_condition() -> None:
    broken = _compose()
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "bogus"
    errors = _schema_errors(broken)
    assert any(error.startswith("services/api/depends_on") for error in errors), errors


def test_schema_rejects_an_unknown_service_key() -> None:
    broken = _compose()
    broken["services"]["db"]["healthchek"] = copy.deepcopy(broken["services"]["db"]["healthcheck"])
    errors = _schema_errors(broken)
    assert any("healthchek" in error for error in errors), errors


# The compose file


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    errors = _schema_errors(_compose())
    assert not errors, "docker-compose.yml breaks the Compose Specification:\n" + "\n".join(errors)


def test_compose_file_has_no_obsolete_version_key() -> None:
    assert "version" not in _compose()


def test_compose_file_defines_the_database_the_migration_the_api_and_a_worker() -> None:
    assert set(_compose()["services"]) == {"db", "migrate", "api", "reporter-worker"}


def test_the_reporter_worker_talks_to_the_api_only_once_it_is_healthy() -> None:
    worker = _service("reporter-worker")
    assert worker["command"] == ["reporter", "worker"]
    assert worker["environment"]["REPORTER_API_URL"] == "http://api:8000"
    assert worker["depends_on"]["api"]["condition"] == "service_healthy"
    assert "DATABASE_URL" not in worker["environment"]


def test_database_is_postgres_16_on_a_named_volume() -> None:
    db = _service("db")
    assert db["image"] == "postgres:16"
    named_volumes = set(_compose().get("volumes") or {})
    mounted = {str(volume).split(":", 1)[0] for volume in db["volumes"]}
    assert mounted & named_volumes, "the database's data is not on a named volume"


def test_database_healthcheck_asks_pg_isready_about_the_feedback_database() -> None:
    test = _service("db")["healthcheck"]["test"]
    command = test if isinstance(test, str) else " ".join(test)
    assert "pg_isready" in command
    assert "-U feedback" in command
    assert "-d feedback" in command


def test_migrate_waits_for_a_healthy_database() -> None:
    assert _service("migrate")["depends_on"]["db"]["condition"] == "service_healthy"


def test_migrate_applies_the_migrations_once() -> None:
    migrate = _service("migrate")
    assert migrate["command"] in (["feedback", "migrate"], "feedback migrate")
    assert migrate["restart"] == "no"


def test_api_starts_only_after_migrate_completes_successfully() -> None:
    condition = _service("api")["depends_on"]["migrate"]["condition"]
    assert condition == "service_completed_successfully"


def test_api_serves_on_all_interfaces_and_publishes_port_8000() -> None:
    api = _service("api")
    assert api["command"] in (["feedback", "serve"], "feedback serve")
    assert _environment(api)["API_HOST"] == "0.0.0.0"
    assert "8000:8000" in [str(port) for port in api["ports"]]


def test_api_healthcheck_probes_readiness_without_curl() -> None:
    healthcheck = _service("api")["healthcheck"]
    test = healthcheck["test"]
    assert isinstance(test, list)
    assert test[:2] == ["CMD", "python"]
    assert "http://127.0.0.1:8000/health/ready" in test[-1]
    assert not any("curl" in part for part in test)
    assert {"interval", "timeout", "retries", "start_period"} <= set(healthcheck)


def _interpolated(value: str) -> str:
    """A value as Compose reads it with nothing set in the environment: `${X:-2}` is 2."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_the_api_runs_several_workers_whose_connections_fit_the_database() -> None:
    environment = {k: _interpolated(v) for k, v in _environment(_service("api")).items()}
    workers = int(environment["API_WORKERS"])
    pool_size = int(environment["API_POOL_SIZE"])
    command = " ".join(_service("db")["command"])
    match = re.search(r"max_connections=(\d+)", command)
    assert match, "the database's max_connections is not stated"
    # PostgreSQL keeps 3 for superusers; each worker's pool may grow to twice its size.
    assert workers >= 2
    assert workers * 2 * pool_size <= int(match.group(1)) - 3


def test_the_api_keeps_its_metrics_files_in_memory_and_has_time_to_drain() -> None:
    api = _service("api")
    assert "/tmp" in api["tmpfs"]
    grace = api["stop_grace_period"]
    assert grace.endswith("s")
    assert int(grace[:-1]) > Settings().shutdown_grace_seconds


@pytest.mark.parametrize("name", DATABASE_SERVICES)
def test_every_service_that_uses_the_database_gets_database_url(name: str) -> None:
    db_env = _environment(_service("db"))
    url = urlsplit(_environment(_service(name))["DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert url.hostname == "db"
    assert url.port == 5432
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"]
    assert url.path == "/" + db_env["POSTGRES_DB"]


@pytest.mark.parametrize("name", DATABASE_SERVICES)
def test_services_that_run_the_project_are_built_from_the_dockerfile(name: str) -> None:
    assert _service(name)["build"] in (".", {"context": "."})


# The Dockerfile


def test_dockerfile_is_based_on_python_311_slim() -> None:
    assert _dockerfile_instructions()[0] == ("FROM", "python:3.11-slim")


def test_dockerfile_cmd_runs_feedback_serve() -> None:
    assert json.loads(_last("CMD")) == ["feedback", "serve"]


def test_dockerfile_runs_as_a_non_root_user() -> None:
    assert _last("USER").split(":")[0] not in ("root", "0")


def test_dockerfile_keeps_migrations_beside_the_installed_code() -> None:
    # settings.PROJECT_ROOT is two folders above services/api/settings.py and alembic.ini and
    # migrations/ are read from there, so the code must run from the copied tree (editable
    # install), not from a copy in site-packages.
    copied = " ".join(args for keyword, args in _dockerfile_instructions() if keyword == "COPY")
    for needed in ("pyproject.toml", "README.md", "alembic.ini", "services/", "migrations/"):
        assert needed in copied, f"the Dockerfile does not copy {needed}"
    runs = [args for keyword, args in _dockerfile_instructions() if keyword == "RUN"]
    assert any("pip install --no-cache-dir -e ." in run for run in runs), runs


def test_dockerfile_listens_on_all_interfaces_on_port_8000() -> None:
    assert _last("EXPOSE") == "8000"
    assert "API_HOST=0.0.0.0" in " ".join(
        args for keyword, args in _dockerfile_instructions() if keyword == "ENV"
    )
