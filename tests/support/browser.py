"""A real headless browser for the HTML tests: Chromium's DOM after rendering, and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert found, "headless Chromium is needed: bash .ci/run installs it (apt-get install chromium)"
    return found


def dom(page: Path) -> str:
    """The page's DOM as the browser built it (scripts would have run by then, had any been allowed)."""
    return subprocess.run([chromium(), *FLAGS, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                          timeout=120, check=True).stdout


def screenshot(page: Path, shot: Path, size: str = "1400,2200") -> bytes:
    """A PNG of the drawn page, ``size`` pixels wide,high."""
    subprocess.run([chromium(), *FLAGS, "--hide-scrollbars", f"--window-size={size}", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    return shot.read_bytes()
