"""The layering that docs/architecture.md describes, held by reading the code: app code
never imports tests, and neither services nor reads (scoring, disclosure, selectors)
import views."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

APP = ROOT / "readiness"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (APP / folder).rglob("*.py"))


def importing(paths, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(m for m in imported_modules(path) if m.startswith(forbidden))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_app_code_never_imports_test_code():
    assert importing(sorted(APP.rglob("*.py")), ("tests",)) == {}


def test_services_never_import_views():
    assert importing(files("services"), ("readiness.views",)) == {}


@pytest.mark.parametrize(
    "module",
    [
        "scoring.py",
        "disclosure.py",
        "benchmarks.py",
        "comparison.py",
        "portfolio.py",
        "progress.py",
        "dashboards.py",
        "exports.py",
        "reports.py",
        "charts.py",
        "languages.py",
        "hand_out.py",
    ],
)
def test_reads_never_import_views(module):
    assert importing([APP / module], ("readiness.views",)) == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from tests.browser.conftest import CHROMIUM\n")
    assert "tests.browser.conftest" in imported_modules(sample)
