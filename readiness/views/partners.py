"""A partner organisation's portfolio: every facility that shares with it, side by side,
and the offers it has not answered yet."""

from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from readiness import charts
from readiness.disclosure import released_summaries
from readiness.models import Band, Determinant, Domain, Round, Share
from readiness.permissions import get_partner_for_user, shares_visible_to
from readiness.scoring import RoundSummary, band_for
from readiness.services import access


@dataclass
class PortfolioRow:
    facility: object
    round: Round
    summary: RoundSummary
    gaps: list[tuple[str, float]]
    share: Share | None = None

    @property
    def overall_band(self):
        return band_for(self.summary.overall)

    @property
    def people(self) -> int:
        """People in the published results (never the live count: disclosure.release_status)."""
        return self.summary.respondents


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
    # Each facility's latest closed round with results; a facility that has shared no
    # closed round with results yet shows its round still collecting answers, marked open.
    with_results = [r for r in rounds if r.pk in summaries]
    latest: dict[int, PortfolioRow] = {}
    for round_ in [r for r in with_results if not r.is_open] + with_results:
        if round_.facility_id in latest:
            continue
        summary = summaries[round_.pk]
        gaps = sorted(
            (
                (names.get(code, code), score)
                for code, score in summary.determinants.items()
                # on the score as shown: a 74.6 reads 75, a strength, not a weak area
                if band_for(score) != Band.STRENGTH
            ),
            key=lambda gap: gap[1],
        )[:3]
        latest[round_.facility_id] = PortfolioRow(None, round_, summary, gaps)
    rows = []
    for share in sorted(shares, key=lambda s: s.facility.name):
        row = latest.get(share.facility_id)
        if row is not None:
            row.facility, row.share = share.facility, share
            row.round.facility = share.facility
            rows.append(row)
    domain_codes = list(domain_names)
    offers = list(Share.objects.offered().filter(partner=partner).select_related("facility"))
    # the names of the facilities the partner already sees or is offered, to warn when an
    # offer carries one of them: a facility can be created under any name
    names_seen = Counter(s.facility.name.casefold() for s in shares + offers)
    context = {
        "partner": partner,
        "offers": [(offer, names_seen[offer.facility.name.casefold()] > 1) for offer in offers],
        "rows": rows,
        "without_results": [s.facility for s in shares if s.facility_id not in latest],
        "domains": [(code, domain_names[code]) for code in domain_codes],
        "figure": charts.portfolio_heatmap(rows, domain_codes, domain_names) if rows else None,
    }
    return render(request, "partners/portfolio.html", context)


def _offer(request, slug, share_id) -> Share:
    partner = get_partner_for_user(request.user, slug)
    return get_object_or_404(
        Share.objects.offered().select_related("facility", "partner"), pk=share_id, partner=partner
    )


@login_required
@require_POST
def offer_accept(request, slug, share_id):
    share = _offer(request, slug, share_id)
    access.accept_share(share=share, by=request.user)
    messages.success(
        request, _("You now see what %(facility)s shares.") % {"facility": share.facility.name}
    )
    return redirect("partner-portfolio", slug)


@login_required
@require_POST
def offer_decline(request, slug, share_id):
    share = _offer(request, slug, share_id)
    access.decline_share(share=share, by=request.user)
    messages.success(request, _("Offer declined. The facility's owners are told in their log."))
    return redirect("partner-portfolio", slug)
