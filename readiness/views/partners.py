"""A partner organisation's portfolio: every facility that shares with it, side by side."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render

from readiness import charts
from readiness.disclosure import released_summaries
from readiness.models import Determinant, Domain, Round
from readiness.permissions import get_partner_for_user, shares_visible_to
from readiness.scoring import STRENGTH_FROM, RoundSummary, band_for


@dataclass
class PortfolioRow:
    facility: object
    round: Round
    summary: RoundSummary
    gaps: list[tuple[str, float]]

    @property
    def overall_band(self):
        return band_for(self.summary.overall)


@login_required
def portfolio(request, slug):
    partner = get_partner_for_user(request.user, slug)
    shares = list(shares_visible_to(partner).select_related("facility").prefetch_related("rounds"))
    # Every round the partner may see, in one query; then one grouped query for results.
    everything = [s.facility_id for s in shares if s.all_rounds]
    chosen = [r.pk for s in shares if not s.all_rounds for r in s.rounds.all()]
    rounds = list(
        Round.objects.filter(Q(facility_id__in=everything) | Q(pk__in=chosen)).order_by(
            "-opened_on", "-pk"
        )
    )
    summaries = released_summaries([r.pk for r in rounds]) if rounds else {}
    names = dict(
        Determinant.objects.filter(domain__instrument__rounds__in=rounds)
        .values_list("code", "name")
        .distinct()
    )
    domain_names = dict(
        Domain.objects.filter(instrument__rounds__in=rounds).values_list("code", "name").distinct()
    )
    latest: dict[int, PortfolioRow] = {}
    for round_ in rounds:  # newest first: the first round with results wins
        summary = summaries.get(round_.pk)
        if summary is None or round_.facility_id in latest:
            continue
        gaps = sorted(
            (
                (names.get(code, code), score)
                for code, score in summary.determinants.items()
                if score < STRENGTH_FROM
            ),
            key=lambda gap: gap[1],
        )[:3]
        latest[round_.facility_id] = PortfolioRow(None, round_, summary, gaps)
    rows = []
    for share in sorted(shares, key=lambda s: s.facility.name):
        row = latest.get(share.facility_id)
        if row is not None:
            row.facility = share.facility
            row.round.facility = share.facility
            rows.append(row)
    domain_codes = list(domain_names)
    context = {
        "partner": partner,
        "rows": rows,
        "without_results": [s.facility for s in shares if s.facility_id not in latest],
        "domains": [(code, domain_names[code]) for code in domain_codes],
        "figure": charts.portfolio_heatmap(rows, domain_codes, domain_names) if rows else None,
    }
    return render(request, "partners/portfolio.html", context)
