"""Debian's Chromium, as the browser tests and the benchmark's page checks run it
(tests/browser, perf/bench/): from the system, never a browser download."""

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
