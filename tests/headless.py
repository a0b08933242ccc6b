"""Headless Chromium for the browser tests, and the axe-core accessibility audit run in it.

Debian's chromium, started with a throwaway profile and nothing of its own on the network.
The audit inlines the axe-core engine that `npm ci` installed (package-lock.json pins it) into
a copy of the document, with a few lines that run it and write its result into the page, and
reads that back from Chromium's --dump-dom: no driver, no downloaded browser, nothing fetched.
Without chromium or axe-core a browser test is skipped, except in CI, where it fails.

A test module makes its fixtures from `start_browser` and `auditor` (two lines each): a
conftest.py in this folder would take the module name `conftest` from tests/conftest.py,
which other tests import.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
RESULT_ID = "axe-audit-result"
# Every request to a host other than 127.0.0.1 fails: names resolve to nothing, and what is
# not loopback goes to a proxy on a port where nothing listens (loopback bypasses proxies).
OFFLINE = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
)
# The document at A4's width, and at a phone's, where the layout narrows to one column.
DESKTOP_WINDOW = (1240, 1754)
PHONE_WINDOW = (360, 800)


def missing(what: str, how: str) -> NoReturn:
    """Skip the test outside CI; in CI, where the browser tests must run, fail it."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI must run the browser tests: {how}")
    pytest.skip(f"{what} is missing, so the browser test is skipped: {how}")


def find_chromium() -> str:
    """Chromium's path; a skip outside CI when it is missing, a failure in CI."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        missing("chromium", "apt-get install chromium (.ci/run does)")
    return found


def axe_script() -> str:
    """axe-core's engine as installed by npm; a skip outside CI when it is not installed."""
    if not AXE_SCRIPT.exists():
        missing("axe-core", "python3 dev.py test installs it with npm ci where npm is installed")
    script = AXE_SCRIPT.read_text("utf-8")
    # Inlined in a <script> element, where this would end the element early.
    if re.search(r"</script|<!--", script, re.IGNORECASE):
        raise ValueError("axe.min.js cannot be inlined as it is")
    return script


@dataclass(frozen=True)
class Browser:
    """Headless Chromium with a throwaway profile, no network of its own and no extras."""

    binary: str
    profile: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run Chromium once with these arguments; a failure shows its last error lines."""
        command = [
            self.binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={self.profile}",
            *args,
        ]
        # Its runtime files go in the profile too, not where the embedded database points
        # XDG_RUNTIME_DIR.
        runtime = {name: str(self.profile) for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME")}
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env={**os.environ, **runtime},
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done


@dataclass(frozen=True)
class Violation:
    """One axe rule a document breaks, and where."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        nodes = "\n".join(f"    {target}" for target in self.targets)
        return f"{self.rule} ({self.impact}): {self.help}\n{nodes}"


RUNNER = """
axe.run(document, {runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]})
  .then(function (result) {
    return {
      engine: result.testEngine.version,
      violations: result.violations.map(function (v) {
        return {rule: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(function (n) { return n.target.join(" "); })};
      })
    };
  }, function (error) { return {error: String(error && error.stack || error)}; })
  .then(function (outcome) {
    var out = document.createElement("pre");
    out.id = %(result_id)s;
    out.textContent = JSON.stringify(outcome);
    document.body.appendChild(out);
  });
"""


def audited_copy(document: str) -> str:
    """The document with axe-core and its runner inlined at the end of the body."""
    runner = RUNNER % {"tags": json.dumps(list(AXE_TAGS)), "result_id": json.dumps(RESULT_ID)}
    scripts = f"<script>{axe_script()}</script><script>{runner}</script>"
    end = document.lower().rfind("</body>")
    return document + scripts if end < 0 else document[:end] + scripts + document[end:]


def axe_audit(
    browser: Browser, document: str, window: tuple[int, int] = DESKTOP_WINDOW
) -> tuple[str, list[Violation]]:
    """Run axe-core over an HTML document in Chromium: its version and the violations found."""
    with tempfile.TemporaryDirectory(dir=browser.profile) as folder:
        page = Path(folder) / "audited.html"
        page.write_text(audited_copy(document), "utf-8")
        # Virtual time runs on while the page is busy, so the dump waits for axe to finish.
        done = browser.run(
            f"--window-size={window[0]},{window[1]}",
            "--hide-scrollbars",
            "--virtual-time-budget=60000",
            "--dump-dom",
            page.as_uri(),
        )
    found = re.search(rf'<pre id="{RESULT_ID}">(.*?)</pre>', done.stdout, re.S)
    assert found, f"axe-core left no result in the page: {done.stderr[-2000:]}"
    outcome: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    assert "error" not in outcome, outcome.get("error")
    violations = [
        Violation(v["rule"], v["impact"] or "", v["help"], tuple(v["targets"]))
        for v in outcome["violations"]
    ]
    return outcome["engine"], violations


# What the `audit` fixture gives a test: audit(document, window) is the list of violations.
Audit = Callable[..., list[Violation]]


def report(violations: list[Violation]) -> str:
    """The violations as a test failure prints them: rule, impact and every node."""
    return f"{len(violations)} accessibility violations:\n" + "\n".join(map(str, violations))


def start_browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    """Headless Chromium with a profile of its own; skipped outside CI when not installed."""
    return Browser(find_chromium(), tmp_path_factory.mktemp("chromium-profile"))


def auditor(browser: Browser) -> Audit:
    """`audit(html, window)`: axe-core's violations in that document; skipped without axe-core."""
    axe_script()  # skipped (or, in CI, failed) before any document is rendered

    def audit(document: str, window: tuple[int, int] = DESKTOP_WINDOW) -> list[Violation]:
        return axe_audit(browser, document, window)[1]

    return audit
