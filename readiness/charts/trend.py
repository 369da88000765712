"""Lines: each domain's score across a facility's rounds."""

from django.utils.translation import gettext as _

from readiness.charts.style import FONT, LINE_COLOURS, LINE_SYMBOLS, plain, score_axis
from readiness.scoring import RoundScores, shown


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
    labels = [plain(label) for label, *_ in rounds]
    traces = []
    for i, domain in enumerate(scores.domains):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": plain(domain.name),
                "x": labels,
                "y": [
                    shown(values.get(domain.code)) if version == current else None
                    for _, version, values in rounds
                ],
                "line": {"color": colour, "width": 2.5},
                "marker": {"color": colour, "size": 9, "symbol": LINE_SYMBOLS[i % 7]},
                "connectgaps": False,
                "hovertemplate": "%{x}: %{y}<extra>" + plain(domain.name) + "</extra>",
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
            "yaxis": score_axis(automargin=True),
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
