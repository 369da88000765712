"""Bars: a round's determinants against the thresholds, and against the benchmark."""

from django.utils.translation import gettext as _

from readiness.charts.style import (
    BAND_COLOURS,
    FONT,
    OUTLINE,
    plain,
    row_names,
    rows_axis,
    score_axis,
    threshold,
    wrapped,
)
from readiness.scoring import DEVELOPING_FROM, STRENGTH_FROM, RoundScores, shown


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
        threshold(DEVELOPING_FROM, _("50 developing")),
        threshold(STRENGTH_FROM, _("75 strength")),
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
                "text": [plain(label) for label in labels],
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
            "xaxis": score_axis(),
            "yaxis": rows_axis(len(determinants)),
            "shapes": list(shapes),
            "annotations": list(annotations)
            + row_names([wrapped(label) for label in labels], positions),
            "margin": {"l": 10, "r": 16, "t": 30, "b": 40},
            "height": 90 + 64 * len(determinants),
            "showlegend": False,
            "bargap": 0,
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
                    plain(f"{d.determinant.name}: {_benchmark_text(b)}")
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
            "text": [plain(d.determinant.name) for d in determinants],
            "hovertemplate": "%{text}: %{x}<extra></extra>",
        }
    )
    return {
        "data": traces,
        "layout": {
            "font": FONT,
            "xaxis": score_axis(),
            "yaxis": rows_axis(len(determinants)),
            "annotations": row_names(
                [wrapped(d.determinant.name) for d in determinants], positions
            ),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "height": 150 + 70 * len(determinants),
            "legend": {"orientation": "h", "y": -0.06, "yanchor": "top"},
        },
    }
