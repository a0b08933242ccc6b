"""Headless Chromium for the browser tests: found or skipped, with a throwaway profile.

Without Chromium a browser test is skipped, except in CI, where it fails (`.ci/run` installs
Debian's `chromium` when it is missing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

# Every request to a host other than 127.0.0.1 fails: names resolve to nothing, and what is
# not loopback goes to a proxy on a port where nothing listens (loopback bypasses proxies).
OFFLINE = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
)


def chromium() -> str:
    """Chromium's path; a skip outside CI when it is missing, a failure in CI."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI must run the browser test (.ci/run)")
    pytest.skip("chromium is not installed: apt-get install chromium to run the browser test")


@dataclass(frozen=True)
class Browser:
    """Headless Chromium with a throwaway profile, no network of its own and no extras."""

    binary: str
    profile: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
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
