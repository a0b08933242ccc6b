"""The browser tests' fixtures: one headless Chromium profile and the accessibility audit."""

from __future__ import annotations

import pytest
from headless_chromium import (
    DESKTOP_WINDOW,
    Audit,
    Browser,
    Violation,
    axe_audit,
    axe_script,
    find_chromium,
)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    """Headless Chromium; skipped outside CI when it is not installed."""
    return Browser(find_chromium(), tmp_path_factory.mktemp("chromium-profile"))


@pytest.fixture(scope="session")
def audit(browser: Browser) -> Audit:
    """axe-core over an HTML document in Chromium: `audit(html, window)` gives its violations."""
    axe_script()  # skipped (or, in CI, failed) before any document is rendered

    def run(document: str, window: tuple[int, int] = DESKTOP_WINDOW) -> list[Violation]:
        return axe_audit(browser, document, window)[1]

    return run
