"""Heatmaps: scores by role, by site and across a partner's portfolio."""

from django.utils.translation import gettext as _

from readiness.charts.style import FONT, HEAT_COLOURS, plain, wrapped
from readiness.scoring import RoundScores, shown


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
        x=[plain(name) for name in x],
        y=[plain(name) for name in y],
        empty_label=empty_label,
        tick_angle=tick_angle,
    )
    turned = [[row[i] for row in z] for i in range(len(x))]
    narrow = _heatmap(
        turned,
        x=[plain(name) for name in y],
        y=[wrapped(name, 22) for name in x],
        empty_label=empty_label,
        tick_angle=-90,  # column names upright side by side cannot run into each other
    )
    narrow["data"][0]["showscale"] = False
    lines = max((wrapped(name, 22).count("<br>") + 1 for name in x), default=1)
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
