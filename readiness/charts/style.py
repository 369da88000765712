"""What every figure shares: the colours (safe for colour-blind readers and in greyscale
print), the font, and labels written as plain text, wrapped, and above their rows."""

import html
import textwrap

from django.utils.translation import gettext as _

from readiness.models import Band

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


def plain(text) -> str:
    """Text as plotly writes it, never as markup: plotly reads a subset of HTML in every
    label (links included), and names and labels are typed by people."""
    return html.escape(str(text), quote=False)


def wrapped(text, width: int = LABEL_WIDTH) -> str:
    """Plain text (see plain) in lines of about ``width`` characters, breaking only
    between words, so that no escaped character is cut in two."""
    text = plain(text)
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False)) or text


def threshold(x: float, label: str) -> tuple[dict, dict]:
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


def row_names(names: list[str], positions: list[float]) -> list[dict]:
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


def rows_axis(count: int) -> dict:
    return {
        "range": [-0.6, count - 0.4],
        "showticklabels": False,
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
    }


def score_axis(**options) -> dict:
    """The 0-100 axis every score is drawn against, ticked at the quarters, fixed (no
    zooming away from it); ``options`` adds to it."""
    return {
        "range": [0, 100],
        "title": {"text": _("Score (0-100)")},
        "dtick": 25,
        "fixedrange": True,
        **options,
    }
