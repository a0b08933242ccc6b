#!/usr/bin/env python3
"""Bootstrap and run the project: `python3 dev.py demo` or `python3 dev.py test`.

Needs only Python 3.11+. It makes `.venv`, installs the project with its development
extras when pyproject.toml has changed, and runs the command inside that environment. For
`test` it also installs the browser tests' npm packages (`npm ci`, from package-lock.json)
when they are missing or the lock has changed, where npm is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
NODE_LOCK = ROOT / "package-lock.json"
NODE_STAMP = ROOT / "node_modules" / ".installed-from"

COMMANDS = {
    "demo": "start the API with the demo council loaded and write its 2018/19 reports",
    "test": "lint, type-check and run the whole test suite",
    "lint": "ruff check, ruff format --check and mypy only",
    "feedback": "run the `feedback` command line with the remaining arguments",
    "reporter": "run the `reporter` command line with the remaining arguments",
}
DEMO_YEAR = "2018-19"
DEMO_LETTER_YEAR = "2025-26"
REPORTS = ROOT / "reports"


def ensure_environment() -> None:
    """Create the virtual environment and install the project if needed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (found {sys.version.split()[0]})")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    print("installing the project and its development tools into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def ensure_browser_packages() -> None:
    """Install the npm packages the browser tests load (axe-core) when missing or stale."""
    wanted = hashlib.sha256(NODE_LOCK.read_bytes()).hexdigest()
    if NODE_STAMP.exists() and NODE_STAMP.read_text().strip() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        # The browser tests then skip, or fail in CI, and say why.
        print("npm is missing: the accessibility audit cannot run", file=sys.stderr, flush=True)
        return
    print("installing the browser tests' npm packages (npm ci) ...", flush=True)
    # No package of the lock runs install scripts; none is allowed to.
    command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    if subprocess.run(command, cwd=ROOT, check=False).returncode == 0:
        NODE_STAMP.write_text(wanted)
    else:
        print("npm ci failed: the accessibility audit cannot run", file=sys.stderr, flush=True)


def run(*argv: str) -> int:
    """Run one command from the virtual environment's bin folder."""
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=ROOT).returncode


def demo(args: list[str]) -> int:
    """Run the API with the demo council, then have the reporter write the demo year's files."""
    host = os.environ.get("API_HOST", "127.0.0.1")
    port = os.environ.get("API_PORT", "8000")
    base = f"http://{host}:{port}"
    server = subprocess.Popen([str(BIN / "feedback"), "demo", *args], cwd=ROOT)
    try:
        if not _wait_ready(base, server):
            return server.wait()
        keys_file = Path(os.environ.get("API_DATA_DIR", ROOT / ".data")) / "demo-keys.json"
        reporter_key = json.loads(keys_file.read_text())["reporter"]
        env = {**os.environ, "REPORTER_API_URL": base, "REPORTER_API_KEY": reporter_key}
        # The annual report also as the published document (HTML with charts), and the
        # Ombudsman's letter of the demo's latest Ombudsman year beside the council's count.
        runs = (
            ("annual", DEMO_YEAR, ["--format", "html"]),
            ("ledger", DEMO_YEAR, []),
            ("letter", DEMO_LETTER_YEAR, []),
        )
        for kind, year, extra in runs:
            subprocess.run(
                [str(BIN / "reporter"), kind, "--year", year, "--out", str(REPORTS), *extra],
                cwd=ROOT,
                env=env,
                check=False,
            )
        print(
            f"\nThe {DEMO_YEAR} annual report and Ombudsman ledger, and the Ombudsman's "
            f"{DEMO_LETTER_YEAR} letter and its reconciliation, are in {REPORTS}/",
            flush=True,
        )
        print(f"The API is at {base} (docs: {base}/docs); Ctrl+C stops it.\n", flush=True)
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait()


def _wait_ready(base: str, server: subprocess.Popen[bytes], seconds: float = 600) -> bool:
    """Poll the API's readiness until it answers, the server exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def lint() -> int:
    """Ruff lint and format check, then mypy strict on services/."""
    for step in (
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("mypy",),
    ):
        code = run(*step)
        if code:
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print("usage: python3 dev.py COMMAND\n")
        for name, what in COMMANDS.items():
            print(f"  {name:<9} {what}")
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return demo(rest)
    if command in ("feedback", "reporter"):
        return run(command, *rest)
    if command == "lint":
        return lint()
    code = lint()
    if code:
        return code
    ensure_browser_packages()
    return run("pytest", *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
