"""A network's comparison of its sites: determinants by site, filters, role coverage, a
summary of where the network stands, and downloads of the table and of every answer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from readiness import exports, networks, reports
from readiness.comparison import chosen_sites, compared
from readiness.forms import ComparisonFilter
from readiness.models import (
    Determinant,
    Network,
    PreparedDownload,
)
from readiness.permissions import organisation_for
from readiness.rendered import RESULTS_TIMEOUT
from readiness.scoring import shown
from readiness.services import audit, downloads


def _choice(request) -> tuple[QueryDict, int] | None:
    """The filters and order asked for, written as the page writes them, and the page
    number; None when a filter is invalid (that page is shown with its error, and not
    kept). Made-up parameters and spellings fall away, so that they do not each render
    the page again, and the page kept is the same whoever asked."""
    query = ComparisonFilter(request.GET).as_query()
    if query is None:
        return None
    sort = request.GET.get("sort", "name")
    if sort == "overall" or (
        sort != "name" and Determinant.objects.filter(code=sort[:32]).exists()
    ):
        query["sort"] = sort
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    return query, number


def _body(network, query: QueryDict, number) -> str:
    context = networks.comparison_context(network, query, number)
    context["answer_form_here"] = mark_safe(ANSWER_FORM_HERE)  # noqa: S308 (constants)
    context["report_form_here"] = mark_safe(REPORT_FORM_HERE)  # noqa: S308
    return render_to_string("networks/_comparison_body.html", context)


# Where the forms asking for downloads go in the kept body: each carries the reader's own
# CSRF token, so they are rendered for each request (_with_forms), never kept. Text in
# the body is escaped, so no site's name can contain these.
ANSWER_FORM_HERE = "<!-- the answer-download form -->"
REPORT_FORM_HERE = "<!-- the report form -->"


def _with_forms(request, network, body: str) -> str:
    answers = render_to_string(
        "downloads/_answer_form.html",
        {"action": reverse("network-answers-prepare", args=[network.slug]), "network": True},
        request=request,
    )
    filters = ComparisonFilter(request.GET).as_query()
    report = (
        ""
        if filters is None  # (the page shows the filters' errors)
        else render_to_string(
            "networks/_report_form.html",
            {"network": network, "filters": list(filters.items())},
            request=request,
        )
    )
    return body.replace(ANSWER_FORM_HERE, answers, 1).replace(REPORT_FORM_HERE, report, 1)


@login_required
def comparison(request, slug):
    """Rendered once per version of the sites' results (networks.comparison_key); a
    leader's view of an unchanged network costs the page's own few queries."""
    network = organisation_for(request.user, Network, slug)
    choice = _choice(request)
    if choice is None:  # shown with the filter's error, as asked, and not kept
        body = _body(network, request.GET, request.GET.get("page"))
    else:
        key = networks.comparison_key(network, *choice)
        body = cache.get(key)
        if body is None:
            body = _body(network, *choice)
            cache.set(key, body, RESULTS_TIMEOUT)
    return render(
        request,
        "networks/comparison.html",
        # (rendered by _body and _with_forms)
        {"network": network, "body": mark_safe(_with_forms(request, network, body))},  # noqa: S308
    )


@login_required
@require_POST
@ratelimit(key="user", rate=reports.rate, group="reports", block=True)
def prepare_report(request, slug):
    """The network's report for the board, as the page's filters choose its sites: every
    site on one page and the summary. Prepared in the background (services/downloads/):
    laying out a thousand sites takes longer than a request may."""
    network = organisation_for(request.user, Network, slug)
    filters = ComparisonFilter(request.POST).as_query()
    if filters is None:
        messages.error(request, _("The filters are not valid; correct them on this page first."))
        return redirect(network)
    _form, facilities = chosen_sites(network, filters)
    download = downloads.request_download(
        user=request.user,
        kind=PreparedDownload.Kind.NETWORK_REPORT,
        fmt=PreparedDownload.Format.PDF,
        # every site the report names, with or without scores
        facilities=list(facilities.only("pk")),
        network=network,
        query=filters.urlencode(),
    )
    return redirect(download)


@login_required
def comparison_download(request, slug, fmt):
    network = organisation_for(request.user, Network, slug)
    _form, found, sites = compared(network, request.GET)  # (the table, not the summary)
    determinants = found.determinants
    codes = [code for code, _ in determinants]

    def rows():
        yield [
            "facility",
            "type",
            "state",
            "round",
            "opened_on",
            "round_status",  # open (still collecting answers) or closed
            "people_in_results",  # published results only, never the live count
            "overall",
            *[name for _, name in determinants],
        ]
        for site in sites:
            yield [
                site.facility.name,
                site.facility.type,
                site.facility.state,
                site.round.label if site.round else "",
                site.round.opened_on if site.round else "",
                site.round.status if site.round else "",
                site.people,
                shown(site.overall),
                *[shown(site.scores.get(c)) for c in codes],
            ]

    _record_download(request, network, [site.facility for site in sites], "comparison", fmt)
    return exports.download(fmt=fmt, name=f"{network.slug}-comparison", rows=rows)


def _record_download(request, network, facilities, kind, fmt):
    """Each site in a network download sees it in its own audit log."""
    audit.record_download(
        user=request.user,
        facilities=facilities,
        download=f"network {kind}",
        fmt=fmt,
        network=network.name,
    )


@login_required
def quality(request, slug):
    """How good the questions are, from every published response of the network's sites
    on one instrument version (the newest they used, or ?version=)."""
    network = organisation_for(request.user, Network, slug)
    context = networks.quality_context(network, request.GET)
    return render(request, "networks/quality.html", context)
