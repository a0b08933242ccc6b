"""The API's folders are layers: a lower one never imports a higher one (pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from services.api.settings import PROJECT_ROOT


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert binary, "import-linter is a development dependency"
    return subprocess.run(
        [binary, "--no-cache", *args], cwd=PROJECT_ROOT, capture_output=True, text=True
    )


def test_api_layers_import_only_downward() -> None:
    done = _lint_imports()
    assert done.returncode == 0, done.stdout + done.stderr


def test_layer_check_reports_a_layer_importing_one_above_it(tmp_path: Path) -> None:
    # The same check with two real layers swapped must find the routes' imports of the domain.
    config = tmp_path / "swapped.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["services"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "swapped"\n'
        'type = "layers"\n'
        'layers = ["services.api.domain", "services.api.http"]\n'
    )
    done = _lint_imports(str(config))
    assert done.returncode != 0
    assert "services.api.http" in done.stdout and "BROKEN" in done.stdout
