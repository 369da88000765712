"""A round's report for the board, and a network's, as PDF.

WeasyPrint lays out HTML and CSS as PDF on the server, with no browser: the report is a
template like any page (templates/reports/), so it says what the dashboard says, through
the same disclosure rules. plotly cannot draw a static image without a browser
(its exporter drives Chrome), so the report's one chart is drawn here as SVG, which
WeasyPrint keeps as vector graphics.
"""

from dataclasses import dataclass

from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from readiness.charts import BAND_COLOURS, OUTLINE
from readiness.scoring import DEVELOPING_FROM, STRENGTH_FROM, RoundScores, shown

# The chart's geometry, in CSS pixels (WeasyPrint: 96 per inch).
BAR_CHART_WIDTH = 660
NAME_WIDTH = 250
LABEL_WIDTH = 100  # right of the scale: "75 · Developing"
ROW_HEIGHT = 22


@dataclass(frozen=True)
class Bar:
    name: str
    y: float
    width: float | None  # None: no score shown
    low: float | None
    high: float | None
    colour: str
    label: str


def _x(score: float) -> float:
    return NAME_WIDTH + score / 100 * (BAR_CHART_WIDTH - NAME_WIDTH - LABEL_WIDTH)


def bar_chart(scores: RoundScores) -> dict:
    """Where the report's SVG draws each determinant's bar, interval and thresholds."""
    bars = []
    for row, d in enumerate(scores.determinants):
        y = 20 + row * ROW_HEIGHT
        if d.score is None:
            bars.append(Bar(d.determinant.name, y, None, None, None, BAND_COLOURS[d.band], "–"))
            continue
        bars.append(
            Bar(
                name=d.determinant.name,
                y=y,
                width=_x(shown(d.score)) - NAME_WIDTH,
                low=None if d.ci_low is None else _x(shown(d.ci_low)),
                high=None if d.ci_high is None else _x(shown(d.ci_high)),
                colour=BAND_COLOURS[d.band],
                label=f"{shown(d.score)} · {d.band_label}",
            )
        )
    return {
        "bars": bars,
        "width": BAR_CHART_WIDTH,
        "height": 30 + ROW_HEIGHT * len(bars),
        "left": NAME_WIDTH,
        "labels_at": BAR_CHART_WIDTH - LABEL_WIDTH + 8,
        "thresholds": [(int(t), _x(t)) for t in (DEVELOPING_FROM, STRENGTH_FROM)],
        "outline": OUTLINE,
    }


def pdf(template: str, context: dict) -> bytes:
    context = {"printed_on": timezone.localdate(), **context}
    return render_pdf(render_to_string(template, context))


def render_pdf(html: str) -> bytes:
    """The PDF of a report's HTML, fetching nothing: a report needs no image, font or
    stylesheet from anywhere, and WeasyPrint would otherwise follow any URL in it (a
    file:// path, a host inside the network) while it renders."""
    from weasyprint import HTML  # imported here: loading its fonts is slow
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            refuse_to_fetch(url)

    return HTML(string=html, url_fetcher=NoFetching()).write_pdf()


def refuse_to_fetch(url: str):
    from weasyprint.urls import URLFetchingError

    # WeasyPrint leaves the resource out and goes on rendering
    raise URLFetchingError(f"a report loads nothing, not {url[:60]}")


def round_heading(round_) -> str:
    """What every page of a round's report names: facility, round, dates, version."""
    dates = format_date(round_.opened_on, "M j, Y")
    if round_.closed_on:
        dates += "–" + format_date(round_.closed_on, "M j, Y")
    version = _("questionnaire %(version)s") % {"version": round_.instrument.version}
    return " · ".join([round_.facility.name, round_.label, dates, version])


def rate(group, request) -> str:
    """How many reports one person may have made in an hour (settings.REPORTS_PER_HOUR),
    for django-ratelimit."""
    from django.conf import settings

    return settings.REPORTS_PER_HOUR


def round_report(access, round_) -> bytes:
    """The round's report for the board: what its dashboard shows this person (``access``:
    permissions.FacilityAccess), laid out for paper, with the action plan for the
    facility's own members."""
    from readiness import disclosure
    from readiness.models import ActionItem

    scope = disclosure.Scope.for_access(access)
    scores = disclosure.released_scores(round_, scope=scope)
    plan_items = (
        list(ActionItem.objects.filter(facility_id=round_.facility_id))
        if access.is_member
        else None
    )
    return pdf(
        "reports/round.html",
        {
            "facility": access.facility,
            "round": round_,
            "heading": round_heading(round_),
            "scores": scores,
            "status": disclosure.release_status(round_),
            "chart": bar_chart(scores),
            "show_strategies": scope.strategies,
            "show_roles": scope.roles,
            "plan_items": plan_items,
        },
    )
