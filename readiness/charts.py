"""Plotly figures, built as plain dicts in the figure schema.

Plain dicts rather than plotly.graph_objects: the schema is the same, but building and
validating graph objects costs more than the rest of a dashboard request. The tests
validate every figure with plotly.graph_objects.Figure, so a schema mistake fails there.
The page hands the dict to static/readiness/js/charts.js through json_script.
"""

import html
import textwrap

from django.utils.translation import gettext as _

from readiness.models import Band
from readiness.scoring import DEVELOPING_FROM, STRENGTH_FROM, RoundScores, shown

# Paul Tol's "high contrast" scheme: told apart with every common colour-vision
# deficiency and in greyscale print. Bars get a dark outline, so even the light yellow
# keeps 3:1 against the page; a band is always also written out.
BAND_COLOURS = {
    Band.STRENGTH: "#004488",
    Band.DEVELOPING: "#DDAA33",
    Band.GAP: "#BB5566",
    Band.INSUFFICIENT: "#BBBBBB",
}
OUTLINE = "#24292f"
# A diverging red-blue scale (ColorBrewer RdBu, safe for colour-blind readers): gaps
# red, the neutral middle light, strengths blue; plotly writes each cell's number in
# black or white, whichever reads better on it.
HEAT_COLOURS = [
    [0, "#b2182b"],
    [0.25, "#ef8a62"],
    [0.5, "#f7f7f7"],
    [0.75, "#67a9cf"],
    [1, "#2166ac"],
]
# Okabe and Ito's palette for lines, with a marker shape of its own for each.
LINE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000"]
LINE_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross"]
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}
# Names longer than this are wrapped, so that they fit above a bar on a 390 px screen.
LABEL_WIDTH = 34
# Below this chart width (px) charts.js draws a figure's "narrow" variant, if it has one.
NARROW_BELOW = 576


def _plain(text) -> str:
    """Text as plotly writes it, never as markup: plotly reads a subset of HTML in every
    label (links included), and names and labels are typed by people."""
    return html.escape(str(text), quote=False)


def _wrapped(text, width: int = LABEL_WIDTH) -> str:
    """Plain text (see _plain) in lines of about ``width`` characters, breaking only
    between words, so that no escaped character is cut in two."""
    plain = _plain(text)
    return "<br>".join(textwrap.wrap(plain, width, break_long_words=False)) or plain


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


def _row_names(names: list[str], positions: list[float]) -> list[dict]:
    """Each row's name written above it, left-aligned at 0: readable at any width,
    where names on the axis would squeeze the plot to a sliver on a phone."""
    return [
        {
            "x": 0,
            "y": y + 0.5,
            "xref": "x",
            "yref": "y",
            "text": name,
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "top",
            "align": "left",
            "font": {"size": 12},
        }
        for name, y in zip(names, positions, strict=True)
    ]


def _rows_axis(count: int) -> dict:
    return {
        "range": [-0.6, count - 0.4],
        "showticklabels": False,
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
    }


def determinant_chart(scores: RoundScores) -> dict:
    """Horizontal bars, one per determinant, against the 50 and 75 thresholds, each
    with its 95% interval and its name, score and band written above it."""
    determinants = list(reversed(scores.determinants))  # plotly draws bottom-up
    positions = list(range(len(determinants)))
    labels = [
        _("%(name)s: %(score)s, %(band)s")
        % {"name": d.determinant.name, "score": shown(d.score), "band": d.band_label}
        if d.score is not None
        else _("%(name)s: hidden, fewer than %(n)s people")
        % {"name": d.determinant.name, "n": scores.minimum}
        if d.hidden
        else _("%(name)s: insufficient data") % {"name": d.determinant.name}
        for d in determinants
    ]
    shapes, annotations = zip(
        _threshold(DEVELOPING_FROM, _("50 developing")),
        _threshold(STRENGTH_FROM, _("75 strength")),
        strict=True,
    )
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [shown(d.score) for d in determinants],
                # the bar in the lower part of its row, its name (one or two lines) above
                "y": [y - 0.24 for y in positions],
                "width": 0.3,
                "text": [_plain(label) for label in labels],
                "textposition": "none",
                "marker": {
                    "color": [BAND_COLOURS[d.band] for d in determinants],
                    "line": {"color": OUTLINE, "width": 1},
                },
                # the 95% interval of each score (docs/scoring.md)
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    # from the bar's end to the likely range's ends, as the table shows them
                    "array": [
                        0 if d.ci_high is None else shown(d.ci_high) - shown(d.score)
                        for d in determinants
                    ],
                    "arrayminus": [
                        0 if d.ci_low is None else shown(d.score) - shown(d.ci_low)
                        for d in determinants
                    ],
                    "thickness": 1.5,
                    "width": 4,
                    "color": OUTLINE,
                },
                "hovertemplate": "%{text}<extra></extra>",
            }
        ],
        "layout": {
            "font": FONT,
            "xaxis": {
                "range": [0, 100],
                "title": {"text": _("Score (0-100)")},
                "tickvals": [0, 25, 50, 75, 100],
                "fixedrange": True,
            },
            "yaxis": _rows_axis(len(determinants)),
            "shapes": list(shapes),
            "annotations": list(annotations)
            + _row_names([_wrapped(label) for label in labels], positions),
            "margin": {"l": 10, "r": 16, "t": 30, "b": 40},
            "height": 90 + 64 * len(determinants),
            "showlegend": False,
            "bargap": 0,
        },
    }


def _heatmap(z, *, x, y, empty_label, tick_angle=0) -> dict:
    return {
        "data": [
            {
                "type": "heatmap",
                "z": [[shown(v) for v in line] for line in z],
                "x": x,
                "y": y,
                "text": [[empty_label if v is None else str(shown(v)) for v in line] for line in z],
                "texttemplate": "%{text}",
                "zmin": 0,
                "zmax": 100,
                "colorscale": HEAT_COLOURS,
                "xgap": 1,
                "ygap": 1,
                "colorbar": {"title": {"text": _("Score")}, "thickness": 12},
                "hovertemplate": "%{y}<br>%{x}: %{text}<extra></extra>",
            }
        ],
        "layout": {
            "font": FONT,
            "xaxis": {
                "automargin": True,
                "tickangle": tick_angle,
                "side": "top",
                "fixedrange": True,
            },
            "yaxis": {"automargin": True, "autorange": "reversed", "fixedrange": True},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": 160 + 40 * len(y),
        },
    }


def _score_heatmap(z, *, x, y, empty_label, tick_angle=0) -> dict:
    """A 0-100 heat map with each cell's score written in it; None cells say empty_label.

    Its narrow variant turns it on its side, the columns (often many determinants)
    becoming rows with wrapped names, so that the numbers do not run together; with
    more than a phone's few columns it keeps a readable width and scrolls sideways in
    its labelled region."""
    figure = _heatmap(
        z,
        x=[_plain(name) for name in x],
        y=[_plain(name) for name in y],
        empty_label=empty_label,
        tick_angle=tick_angle,
    )
    turned = [[row[i] for row in z] for i in range(len(x))]
    narrow = _heatmap(
        turned,
        x=[_plain(name) for name in y],
        y=[_wrapped(name, 22) for name in x],
        empty_label=empty_label,
        tick_angle=-90,  # column names upright side by side cannot run into each other
    )
    narrow["data"][0]["showscale"] = False
    lines = max((_wrapped(name, 22).count("<br>") + 1 for name in x), default=1)
    narrow["layout"]["height"] = 120 + max(44, 16 * lines + 16) * len(x)
    narrow["min_width"] = 150 + 56 * len(y)  # px, read by charts.js
    figure["narrow"] = narrow
    return figure


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


def site_heatmap(sites, determinants) -> dict | None:
    """A network's sites by determinants, for the sites with a compared round;
    ``determinants`` are (code, name) pairs. Cells hidden by readiness.disclosure stay empty."""
    scored = [site for site in sites if site.round is not None]
    if not scored:
        return None
    return _score_heatmap(
        [[site.scores.get(code) for code, _name in determinants] for site in scored],
        x=[name for _code, name in determinants],
        y=[site.facility.name for site in scored],
        empty_label=_("too few people"),
        tick_angle=-30,
    )


def portfolio_heatmap(rows, domain_codes: list[str], domain_names: dict[str, str]) -> dict:
    """Facilities by domains, from each facility's latest shared round; a round still
    collecting answers is marked as such, as in the table."""
    return _score_heatmap(
        [[row.site.domains.get(code) for code in domain_codes] for row in rows],
        x=[domain_names[code] for code in domain_codes],
        y=[
            _("%(facility)s (open round)") % {"facility": row.site.facility.name}
            if row.site.round.is_open
            else row.site.facility.name
            for row in rows
        ],
        empty_label=_("no data"),
    )


def trend_chart(scores: RoundScores) -> dict | None:
    """Each domain's score over the facility's rounds: a few lines that can be told
    apart, where one line per determinant was a tangle (the table under the chart has
    every determinant).

    Domain scores average different determinants in different questionnaire versions,
    so a round of another version has no point on these lines; a dotted line marks
    where the version changed.
    """
    if not scores.history:
        return None
    rounds = [(s.label, s.instrument_version, s.domains) for s in scores.history]
    rounds.append(
        (
            scores.round.label,
            scores.round.instrument.version,
            {d.code: d.score for d in scores.domains if d.score is not None},
        )
    )
    current = scores.round.instrument.version
    labels = [_plain(label) for label, *_ in rounds]
    traces = []
    for i, domain in enumerate(scores.domains):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _plain(domain.name),
                "x": labels,
                "y": [
                    shown(values.get(domain.code)) if version == current else None
                    for _, version, values in rounds
                ],
                "line": {"color": colour, "width": 2.5},
                "marker": {"color": colour, "size": 9, "symbol": LINE_SYMBOLS[i % 7]},
                "connectgaps": False,
                "hovertemplate": "%{x}: %{y}<extra>" + _plain(domain.name) + "</extra>",
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
                "fixedrange": True,
            },
            # half a round of room at each end, so round names clear the score axis
            "xaxis": {
                "type": "category",
                "range": [-0.5, len(rounds) - 0.5],
                "automargin": True,
                "fixedrange": True,
            },
            "shapes": shapes,
            "annotations": annotations,
            "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
            "height": 380 + 22 * len(traces),
            "legend": {"orientation": "h", "y": -0.12, "yanchor": "top"},
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
    """Dot and range: on each determinant's row, the facility's score as a black dot;
    for facilities of its type and for all, the median as a marker of the group's colour
    and, only where the benchmark has them (benchmarks.QUARTILES_FROM facilities or
    more), the middle half as a thick line. Each is a trace of its own, so the legend
    shows exactly what is drawn; the row's name is written above its three lines."""
    determinants = list(reversed(scores.determinants))
    positions = list(range(len(determinants)))
    traces = []
    for group, label, colour, symbol, offset in (
        ("type", _("facilities of your type"), "#0072B2", "diamond", -0.04),
        ("all", _("all participating facilities"), "#D55E00", "square", -0.30),
    ):
        shown_benchmarks = [benchmarks[group].get(d.code) for d in determinants]
        if not any(shown_benchmarks):
            continue
        ranged = [
            (b, y) for b, y in zip(shown_benchmarks, positions, strict=True) if b and b.has_range
        ]
        if ranged:
            xs, ys = [], []
            for b, y in ranged:
                xs += [b.low, b.high, None]
                ys += [y + offset, y + offset, None]
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": _("Middle half, %(group)s") % {"group": label},
                    "legendgroup": group,
                    "x": xs,
                    "y": ys,
                    "line": {"color": colour, "width": 6},
                    "opacity": 0.45,
                    "hoverinfo": "skip",
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Median, %(group)s") % {"group": label},
                "legendgroup": group,
                "y": [y + offset for y in positions],
                "x": [b.median if b else None for b in shown_benchmarks],
                "marker": {
                    "symbol": symbol,
                    "size": 11,
                    "color": colour,
                    "line": {"color": OUTLINE, "width": 1},
                },
                "text": [
                    _plain(f"{d.determinant.name}: {_benchmark_text(b)}")
                    for d, b in zip(determinants, shown_benchmarks, strict=True)
                ],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    if not traces:
        return None
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": _("Your facility"),
            "y": [y - 0.17 for y in positions],
            "x": [shown(d.score) for d in determinants],
            "marker": {"symbol": "circle", "size": 12, "color": OUTLINE},
            "text": [_plain(d.determinant.name) for d in determinants],
            "hovertemplate": "%{text}: %{x}<extra></extra>",
        }
    )
    return {
        "data": traces,
        "layout": {
            "font": FONT,
            "xaxis": {
                "range": [0, 100],
                "title": {"text": _("Score (0-100)")},
                "dtick": 25,
                "fixedrange": True,
            },
            "yaxis": _rows_axis(len(determinants)),
            "annotations": _row_names(
                [_wrapped(d.determinant.name) for d in determinants], positions
            ),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "height": 150 + 70 * len(determinants),
            "legend": {"orientation": "h", "y": -0.06, "yanchor": "top"},
        },
    }
