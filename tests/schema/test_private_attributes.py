"""No code of the service reaches into another object's private attributes.

The data path once joined two pools through SQLAlchemy's `_transaction` and
`_start_transaction`; a library's underscored names change without notice between releases.
This scan of `services/` refuses `x._name` (and `getattr(x, "_name")`) on anything but
`self` and `cls`, apart from the few underscored names that their libraries document.
"""

from __future__ import annotations

import ast

from services.api.settings import PROJECT_ROOT

SERVICES = PROJECT_ROOT / "services"
# Underscored by their library, and documented as public there.
DOCUMENTED = {
    "_value_": "enum: a member's value (the sunder names of the enum module)",
    "_srcfile": "logging: set to None to skip the caller lookup (the logging HOWTO)",
    "_mapping": "SQLAlchemy Row: its mapping view",
    "_asdict": "SQLAlchemy Row and named tuples",
    "_fields": "SQLAlchemy Row and named tuples",
    "_replace": "named tuples",
}
_ACCESSORS = {"getattr", "setattr", "hasattr", "delattr"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(source: str) -> list[tuple[int, str]]:
    """(line, expression) of every reach into another object's private attribute."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if node.attr not in DOCUMENTED:
                found.append((node.lineno, ast.unparse(node)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _ACCESSORS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
            and node.args[1].value not in DOCUMENTED
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_service_uses_no_private_attribute_of_another_object() -> None:
    offences = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: {expression}"
        for path in sorted(SERVICES.rglob("*.py"))
        for line, expression in private_uses(path.read_text())
    ]
    assert offences == []


def test_the_scan_finds_the_reaches_the_data_path_once_made() -> None:
    source = (
        "async def driver_connection(session):\n"
        "    adapted = (await session.connection()).dbapi_connection\n"
        "    if adapted._transaction is None:\n"
        "        await adapted._start_transaction()\n"
        "    pool = getattr(engine, '_pool')\n"
        "    self._adapted._handle_exception(error)\n"
        "    self._own = 1\n"
        "    member._value_\n"
    )
    assert sorted(line for line, _ in private_uses(source)) == [3, 4, 5, 6]
