"""The layering that docs/architecture.md describes, held by reading the code: app code
never imports tests, and neither services nor reads (scoring, disclosure, selectors)
import views."""

import ast
import subprocess
import sys
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


def files(*names: str) -> list[Path]:
    """The Python files of these modules and packages of the app."""
    found = []
    for name in names:
        path = APP / name
        found += path.rglob("*.py") if path.is_dir() else [path]
    assert found, names
    return sorted(found)


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
        "scoring",
        "disclosure",
        "benchmarks.py",
        "comparison",
        "portfolio.py",
        "progress.py",
        "dashboards.py",
        "networks.py",
        "exports",
        "reports.py",
        "charts",
        "languages.py",
        "hand_out.py",
    ],
)
def test_reads_never_import_views(module):
    assert importing(files(module), ("readiness.views",)) == {}


def test_models_import_nothing_of_the_app_but_models():
    """The bottom layer: everything else may import models, so they import no layer."""
    app = ("readiness.",)
    found = importing(files("models"), app)
    assert {
        path: [m for m in modules if not m.startswith("readiness.models")]
        for path, modules in found.items()
    } == dict.fromkeys(found, [])


def test_scoring_reads_only_models_and_the_instrument_structure():
    allowed = ("readiness.scoring", "readiness.models", "readiness.pages")
    found = importing(files("scoring"), ("readiness.",))
    assert {
        path: [m for m in modules if not m.startswith(allowed)] for path, modules in found.items()
    } == dict.fromkeys(found, [])


# Libraries that take seconds to import, for one page or one download each.
SLOW_TO_IMPORT = ("pandas", "pingouin", "scipy", "matplotlib", "weasyprint")

STARTED = """
import sys, django
django.setup()
import readiness.urls
print(" ".join(name for name in sys.argv[1:] if name in sys.modules))
"""


def test_starting_the_site_leaves_the_slow_libraries_unloaded():
    """Every server worker and every manage.py command starts the app: with pingouin
    among its imports, each start took 1.5 s more (reliability.py imports it when the
    question-quality page needs it)."""
    started = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", STARTED, *SLOW_TO_IMPORT],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "readiness.settings", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert started.stdout.split() == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from tests.browser.conftest import CHROMIUM\n")
    assert "tests.browser.conftest" in imported_modules(sample)
