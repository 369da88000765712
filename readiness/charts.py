"""Plotly figures, built as plain dicts in the figure schema.

Plain dicts rather than plotly.graph_objects: the schema is the same, but building and
validating graph objects costs more than the rest of a dashboard request. The tests
validate every figure with plotly.graph_objects.Figure, so a schema mistake fails there.
The page hands the dict to static/readiness/js/charts.js through json_script.
"""

from django.utils.translation import gettext as _

from readiness.models import Band
from readiness.scoring import DEVELOPING_FROM, STRENGTH_FROM, Z_95, RoundScores

# Colour-blind-safe and at least 3:1 against white; a band is always also written out.
BAND_COLOURS = {
    Band.STRENGTH: "#1a7f37",
    Band.DEVELOPING: "#b35900",
    Band.GAP: "#c4314b",
    Band.INSUFFICIENT: "#6e7781",
}
HEAT_COLOURS = [[0, "#c4314b"], [0.5, "#f3d28b"], [0.75, "#9fd3a8"], [1, "#1a7f37"]]
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


def _threshold(x: float, label: str) -> tuple[dict, dict]:
    line = {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": "#57606a", "width": 1, "dash": "dash"},
    }
    note = {
        "x": x,
        "y": 1,
        "xref": "x",
        "yref": "paper",
        "yanchor": "bottom",
        "text": label,
        "showarrow": False,
        "font": {"size": 11, "color": "#57606a"},
    }
    return line, note


def determinant_chart(scores: RoundScores) -> dict:
    """Horizontal bars, one per determinant, against the 50 and 75 thresholds."""
    determinants = list(reversed(scores.determinants))  # plotly draws bottom-up
    names = [d.determinant.name for d in determinants]
    values = [None if d.score is None else round(d.score, 1) for d in determinants]
    labels = [
        f"{d.score:.1f} · {d.band_label}"
        if d.score is not None
        else _("hidden: fewer than %(n)s people") % {"n": scores.minimum}
        if d.hidden
        else _("insufficient data")
        for d in determinants
    ]
    shapes, annotations = zip(
        _threshold(DEVELOPING_FROM, _("50 developing")),
        _threshold(STRENGTH_FROM, _("75 strength")),
        strict=True,
    )
    # Labels sit in a column right of the 0-100 scale, clear of the interval bars.
    labels_column = [
        {
            "x": 101,
            "y": name,
            "xref": "x",
            "yref": "y",
            "text": label,
            "showarrow": False,
            "xanchor": "left",
            "font": {"size": 12},
        }
        for name, label in zip(names, labels, strict=True)
    ]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": names,
                "text": labels,
                "textposition": "none",
                "marker": {"color": [BAND_COLOURS[d.band] for d in determinants]},
                # the 95% interval of each score (docs/scoring.md)
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        0 if d.ci_high is None else round(d.ci_high - d.score, 1)
                        for d in determinants
                    ],
                    "arrayminus": [
                        0 if d.ci_low is None else round(d.score - d.ci_low, 1)
                        for d in determinants
                    ],
                    "thickness": 1,
                    "color": "#24292f",
                },
                "hovertemplate": "%{y}: %{text}<extra></extra>",
            }
        ],
        "layout": {
            "font": FONT,
            "xaxis": {
                "range": [0, 135],
                "title": {"text": _("Score (0-100)")},
                "tickvals": [0, 25, 50, 75, 100],
            },
            "yaxis": {"automargin": True},
            "shapes": list(shapes),
            "annotations": list(annotations) + labels_column,
            "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
            "height": 60 + 38 * len(determinants),
            "showlegend": False,
        },
    }


def _score_heatmap(z, *, x, y, empty_label, tick_angle=0) -> dict:
    """A 0-100 heat map with each cell's score written in it; None cells say empty_label."""
    return {
        "data": [
            {
                "type": "heatmap",
                "z": [[None if v is None else round(v, 1) for v in line] for line in z],
                "x": x,
                "y": y,
                "text": [[empty_label if v is None else f"{v:.0f}" for v in line] for line in z],
                "texttemplate": "%{text}",
                "zmin": 0,
                "zmax": 100,
                "colorscale": HEAT_COLOURS,
                "colorbar": {"title": {"text": _("Score")}},
                "hovertemplate": "%{y}<br>%{x}: %{text}<extra></extra>",
            }
        ],
        "layout": {
            "font": FONT,
            "xaxis": {"automargin": True, "tickangle": tick_angle},
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": 160 + 40 * len(y),
        },
    }


def role_heatmap(scores: RoundScores) -> dict | None:
    """Roles by determinants; cells for groups under the minimum size are left empty."""
    shown = [role for role in scores.roles if not role.suppressed]
    if not shown:
        return None
    determinants = scores.determinants
    return _score_heatmap(
        [[role.cells[d.code] for d in determinants] for role in shown],
        x=[d.determinant.name for d in determinants],
        y=[f"{role.role.name} (n={role.respondents})" for role in shown],
        empty_label=_("hidden"),
        tick_angle=-30,
    )


def portfolio_heatmap(rows, domain_codes: list[str], domain_names: dict[str, str]) -> dict:
    """Facilities by domains, from each facility's latest shared round."""
    return _score_heatmap(
        [[row.summary.domains.get(code) for code in domain_codes] for row in rows],
        x=[domain_names[code] for code in domain_codes],
        y=[row.facility.name for row in rows],
        empty_label=_("no data"),
    )


def trend_chart(scores: RoundScores) -> dict | None:
    """Each determinant's score over the facility's rounds, with its 95% interval.

    Rounds answered on different questionnaire versions are compared by determinant code;
    a dashed line marks where the version changed.
    """
    if not scores.history:
        return None
    rounds = [
        (s.label, s.instrument_version, s.determinants, s.standard_errors) for s in scores.history
    ]
    rounds.append(
        (
            scores.round.label,
            scores.round.instrument.version,
            {d.code: d.score for d in scores.determinants if d.score is not None},
            {d.code: d.standard_error for d in scores.determinants if d.score is not None},
        )
    )
    labels = [label for label, *_ in rounds]
    traces = []
    for determinant in scores.determinants:
        code = determinant.code
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": determinant.determinant.name,
                "x": labels,
                "y": [
                    None if code not in values else round(values[code], 1)
                    for _, _, values, _ in rounds
                ],
                "error_y": {
                    "type": "data",
                    "array": [
                        round(Z_95 * errors[code], 1) if errors.get(code) else 0
                        for _, _, _, errors in rounds
                    ],
                    "thickness": 1,
                    "width": 3,
                },
                "hovertemplate": "%{x}: %{y}<extra>" + determinant.determinant.name + "</extra>",
            }
        )
    shapes, annotations = [], []
    for i in range(1, len(rounds)):
        if rounds[i][1] != rounds[i - 1][1]:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": i - 0.5,
                    "x1": i - 0.5,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#57606a", "width": 1, "dash": "dot"},
                }
            )
            annotations.append(
                {
                    "x": i - 0.5,
                    "y": 1,
                    "xref": "x",
                    "yref": "paper",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "text": _("new questionnaire version"),
                    "font": {"size": 11, "color": "#57606a"},
                }
            )
    return {
        "data": traces,
        "layout": {
            "font": FONT,
            "yaxis": {
                "range": [0, 100],
                "title": {"text": _("Score (0-100)")},
                "dtick": 25,
                "automargin": True,
            },
            "xaxis": {"type": "category", "automargin": True},
            "shapes": shapes,
            "annotations": annotations,
            "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
            "height": 420,
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def _benchmark_text(b) -> str:
    if b is None:
        return _("too few facilities")
    text = _("median %(median)s of %(n)s facilities") % {"median": b.median, "n": b.peers}
    if b.has_range:
        text += "; " + _("middle half %(low)s–%(high)s") % {"low": b.low, "high": b.high}
    return text


def benchmark_chart(scores: RoundScores, benchmarks: dict) -> dict | None:
    """The facility's score as a dot against peers' median (a tick), for facilities of
    its type and for all; a bar from first to third quartile only where the benchmark
    has them (benchmarks.QUARTILES_FROM facilities or more)."""
    determinants = list(reversed(scores.determinants))
    names = [d.determinant.name for d in determinants]
    traces = []
    for group, label, colour in (
        ("type", _("Facilities of your type"), "#8250df"),
        ("all", _("All participating facilities"), "#0969da"),
    ):
        shown = [benchmarks[group].get(d.code) for d in determinants]
        if not any(shown):
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": label,
                "y": names,
                "x": [b.median if b else None for b in shown],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    # no bar at all where only the median may be shown
                    "array": [b.high - b.median if b and b.has_range else None for b in shown],
                    "arrayminus": [b.median - b.low if b and b.has_range else None for b in shown],
                    "thickness": 6,
                    "width": 0,
                    "color": colour,
                },
                "marker": {"symbol": "line-ns-open", "size": 14, "color": colour},
                "text": [_benchmark_text(b) for b in shown],
                "hovertemplate": "%{y}: %{text}<extra>" + str(label) + "</extra>",
            }
        )
    if not traces:
        return None
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": _("Your facility"),
            "y": names,
            "x": [None if d.score is None else round(d.score) for d in determinants],
            "marker": {"symbol": "circle", "size": 11, "color": "#24292f"},
            "hovertemplate": "%{y}: %{x}<extra></extra>",
        }
    )
    return {
        "data": traces,
        "layout": {
            "font": FONT,
            "xaxis": {"range": [0, 100], "title": {"text": _("Score (0-100)")}, "dtick": 25},
            "yaxis": {"automargin": True},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "height": 120 + 48 * len(determinants),
            "legend": {"orientation": "h", "y": -0.15},
            # the groups side by side on each determinant's row, not on top of each other
            "scattermode": "group",
            "scattergap": 0.4,
        },
    }
