"""Plotly figures, built as plain dicts in the figure schema.

Plain dicts rather than plotly.graph_objects: the schema is the same, but building and
validating graph objects costs more than the rest of a dashboard request. The tests
validate every figure with plotly.graph_objects.Figure, so a schema mistake fails there.
The page hands the dict to static/readiness/js/charts.js through json_script.
"""

from readiness.charts.bars import benchmark_chart, determinant_chart
from readiness.charts.heatmaps import portfolio_heatmap, role_heatmap, site_heatmap
from readiness.charts.style import BAND_COLOURS, OUTLINE
from readiness.charts.trend import trend_chart

__all__ = [
    "BAND_COLOURS",
    "OUTLINE",
    "benchmark_chart",
    "determinant_chart",
    "portfolio_heatmap",
    "role_heatmap",
    "site_heatmap",
    "trend_chart",
]
