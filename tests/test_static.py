"""Front-end assets: served by the app, pinned, and the plotly.js we serve is the one
the plotly Python package targets."""

import json

from django.conf import settings
from django.contrib.staticfiles import finders
from plotly.offline import get_plotlyjs_version


def test_the_served_plotly_bundle_matches_the_plotly_python_package():
    package = settings.NODE_MODULES / "plotly.js-cartesian-dist-min" / "package.json"
    assert json.loads(package.read_text())["version"] == get_plotlyjs_version()


def test_every_asset_the_pages_load_is_found_locally():
    for path in (
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/plotly/plotly-cartesian.min.js",
        "readiness/js/charts.js",
        "readiness/js/questionnaire.js",
        "readiness/js/copy-link.js",
        "readiness/css/app.css",
        "readiness/favicon.svg",
    ):
        assert finders.find(path), path


def test_no_template_names_another_host(settings):
    templates = settings.BASE_DIR / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, template


def test_the_plotly_stylesheet_matches_the_bundle_we_serve():
    """plotly.js's style rules are served as a file, not injected inline (strict CSP)."""
    from readiness import plotly_css

    expected = plotly_css.stylesheet(plotly_css.BUNDLE.read_text(encoding="utf-8"))
    assert plotly_css.STYLESHEET.read_text(encoding="utf-8") == expected
    assert ".js-plotly-plot .plotly .main-svg" in expected
