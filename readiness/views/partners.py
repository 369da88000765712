"""A partner organisation's portfolio: every facility that shares with it, side by side,
and the offers it has not answered yet."""

import hashlib
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from readiness import charts, paging
from readiness.comparison import LISTED
from readiness.models import Partner, Share
from readiness.paging import page_of
from readiness.permissions import organisation_for, shares_visible_to
from readiness.portfolio import portfolio as portfolio_of
from readiness.rendered import RESULTS_TIMEOUT, results_key
from readiness.services import access


@login_required
def portfolio(request, slug):
    partner = organisation_for(request.user, Partner, slug)
    shares = list(shares_visible_to(partner).select_related("facility"))
    offers = list(Share.objects.offered().filter(partner=partner).select_related("facility"))
    # the names of the facilities the partner already sees or is offered, to warn when an
    # offer carries one of them: a facility can be created under any name
    names_seen = Counter(s.facility.name.casefold() for s in shares + offers)
    context = {
        "partner": partner,
        "offers": [(offer, names_seen[offer.facility.name.casefold()] > 1) for offer in offers],
        "body": _body(partner, shares, request.GET.get("page")),
    }
    return render(request, "partners/portfolio.html", context)


def _body(partner, shares: list, number) -> str:
    """The facilities' table and heat map, kept per version of what the shares show:
    which shares, what each includes, and each facility's results version, smallest
    group and name (all read already, with the shares); and per page, language, build
    and site minimum (rendered.py)."""
    stamp = hashlib.sha256(
        repr(
            sorted(
                (
                    s.pk,
                    s.all_rounds,
                    s.include_strategies,
                    s.include_roles,
                    s.facility.results_version,
                    s.facility.min_group,
                    s.facility.name,
                    s.facility.type,
                    s.facility.state,
                )
                for s in shares
            )
        ).encode()
    ).hexdigest()[:24]
    pages = max(1, -(-len(shares) // paging.PAGE_SIZE))
    try:
        number = min(max(1, int(number)), pages)
    except (TypeError, ValueError):
        number = 1
    key = results_key("portfolio", partner.pk, stamp, get_language(), number)
    body = cache.get(key)
    if body is None:
        found = portfolio_of(shares)
        page = page_of(found.rows, number)
        domain_codes = [code for code, _name in found.domains]
        body = render_to_string(
            "partners/_portfolio_body.html",
            {
                "rows": page,
                "query": QueryDict(mutable=True),  # for the links between pages
                "without_results": found.without_results[:LISTED],
                "without_results_more": max(0, len(found.without_results) - LISTED),
                "domains": found.domains,
                "figure": charts.portfolio_heatmap(page, domain_codes, dict(found.domains))
                if found.rows
                else None,
            },
        )
        cache.set(key, body, RESULTS_TIMEOUT)
    return mark_safe(body)  # noqa: S308 (rendered above from escaped templates)


def _offer(request, slug, share_id) -> Share:
    partner = organisation_for(request.user, Partner, slug)
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
