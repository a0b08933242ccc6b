"""The reporter stands alone: nothing under services/reporter (or its tests) imports the API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "services" / "reporter"
TEST_DIR = Path(__file__).resolve().parent
FORBIDDEN = "services.api"
IMPORT_FUNCTIONS = {"import_module", "__import__"}


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    module = _module_of(path)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _forbidden(name: str) -> bool:
    return name == FORBIDDEN or name.startswith(FORBIDDEN + ".")


def forbidden_imports(source: str, package: str) -> list[str]:
    """The imports of services.api in a module of `package`, however they are spelled."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                climb = node.level - 1
                base_parts = parts[: len(parts) - climb] if climb <= len(parts) else []
                base = ".".join(base_parts)
            else:
                base = ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names = [module] + [f"{module}.{a.name}" for a in node.names]
            found += [n for n in names if _forbidden(n)][:1]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in IMPORT_FUNCTIONS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found += [first.value] if _forbidden(first.value) else []
    return found


def python_files() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py")) + sorted(TEST_DIR.rglob("*.py"))


def test_there_is_something_to_check() -> None:
    names = {p.name for p in python_files()}
    assert {"client.py", "annual.py", "cli.py", "test_isolation.py"} <= names


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_the_api(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert forbidden_imports(source, _package_of(path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "import services.api",
        "import services.api.models as m",
        "from services.api.models import stats",
        "from services import api",
        "from .. import api",
        "from ..api.models import stats",
        "from ...services.api import x",
        "import importlib\nimportlib.import_module('services.api.main')",
        "__import__('services.api')",
    ],
)
def test_the_check_catches_every_spelling(source: str) -> None:
    assert forbidden_imports(source, "services.reporter") != []


@pytest.mark.parametrize(
    "source",
    [
        "from . import client",
        "from .api_models import Run",
        "from services.reporter import cli",
        "import services.apiary",
        "from .. import reporter",
    ],
)
def test_the_check_lets_the_reporter_be(source: str) -> None:
    assert forbidden_imports(source, "services.reporter") == []
