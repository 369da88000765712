"""A network's comparison of its sites: determinants by site, filters, role coverage, a
summary of where the network stands, and downloads of the table and of every answer."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from readiness import charts, disclosure, exports, paging, reliability, reports
from readiness.comparison import LISTED, chosen_sites, compared, overview, with_rows
from readiness.forms import ComparisonFilter
from readiness.models import (
    Determinant,
    Instrument,
    PreparedDownload,
    RoundRelease,
)
from readiness.paging import page_of
from readiness.permissions import get_network_for_user
from readiness.rendered import RESULTS_TIMEOUT, results_key
from readiness.scoring import shown
from readiness.services import audit, downloads


def _choice(request) -> tuple[QueryDict, int] | None:
    """The filters and order asked for, written as the page writes them, and the page
    number; None when a filter is invalid (that page is shown with its error, and not
    kept). Made-up parameters and spellings fall away, so that they do not each render
    the page again, and the page kept is the same whoever asked."""
    query = written_filters(request.GET)
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


def written_filters(data) -> QueryDict | None:
    """The filters of ``data`` (forms.ComparisonFilter), written as the page writes them;
    None when one is invalid."""
    form = ComparisonFilter(data)
    if not form.is_valid():
        return None
    query = QueryDict(mutable=True)
    for name, value in form.cleaned_data.items():
        if value is True:
            query[name] = "on"
        elif value:
            query[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return query


def _body_key(network, query: QueryDict, number: int) -> str:
    """The network page's body is the same for each of its leaders, for one version of its
    sites' results (one query: which live sites, and each one's results_version, which
    every new release, round opened, closed or deleted, new minimum group and answer-
    download change bumps), one choice (_choice), one language and one day (the summary
    counts twelve months back); and for one build and site minimum (rendered.py)."""
    stamp = network.facilities.aggregate(
        sites=Count("pk"),
        ids=Sum("pk"),
        id_squares=Sum(F("pk") * F("pk")),
        versions=Sum("results_version"),
    )
    pages = max(1, -(-(stamp["sites"] or 0) // paging.PAGE_SIZE))
    parts = [stamp[name] or 0 for name in ("sites", "ids", "id_squares", "versions")]
    return results_key(
        "network-page",
        network.pk,
        "-".join(map(str, parts)),
        get_language(),
        timezone.localdate().isoformat(),
        hashlib.sha256(query.urlencode().encode()).hexdigest()[:24],
        min(number, pages),
    )


def _body(network, query: QueryDict, number) -> str:
    context = overview(network, query)
    # The summary covers every site; the table and the heat map one page of them.
    context["page"] = page_of(context["sites"], number)
    codes = context["codes"]
    with_rows(context["page"], codes)
    scored = [site for site in context["page"] if site.round is not None]
    context["figure"] = (
        charts._score_heatmap(
            [[s.scores.get(code) for code in codes] for s in scored],
            x=[name for _, name in context["determinants"]],
            y=[s.facility.name for s in scored],
            empty_label=_("too few people"),
            tick_angle=-30,
        )
        if scored
        else None
    )
    filters = query.copy()
    filters.pop("sort", None)  # another order starts again on the first page
    context["filter_query"] = filters.urlencode()
    context["query"] = query  # for the links between pages
    counts = network.facilities.aggregate(
        sites=Count("pk"), allowing=Count("pk", filter=Q(network_answer_access=True))
    )
    context["answer_sites"] = list(
        network.facilities.filter(network_answer_access=True)
        .order_by("name")
        .values_list("name", flat=True)[:LISTED]
    )
    context["answer_site_count"] = counts["allowing"]
    context["answer_sites_more"] = counts["allowing"] - len(context["answer_sites"])
    context["site_count"] = counts["sites"]
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
    filters = written_filters(request.GET)
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
    """Rendered once per version of the sites' results (_body_key); a leader's view of an
    unchanged network costs the page's own few queries."""
    network = get_network_for_user(request.user, slug)
    choice = _choice(request)
    if choice is None:  # shown with the filter's error, as asked, and not kept
        body = _body(network, request.GET, request.GET.get("page"))
    else:
        key = _body_key(network, *choice)
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
    site on one page and the summary. Prepared in the background (services/downloads.py):
    laying out a thousand sites takes longer than a request may."""
    network = get_network_for_user(request.user, slug)
    filters = written_filters(request.POST)
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
    network = get_network_for_user(request.user, slug)
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


def _quality_rows(network, sites, instrument):
    """disclosure.instrument_quality, kept until what it reads changes: the published
    people of the sites' rounds published all at once on this questionnaire (one
    query: how many such rounds, which, and how many people they hold), and the
    smallest group the figures rest on. New people joining rounds published in steps,
    which these figures leave out, keep them."""
    minimum = disclosure.largest_minimum(sites)
    stamp = RoundRelease.objects.filter(
        round__facility__in=sites, round__instrument=instrument, number__lte=1
    ).aggregate(rounds=Count("pk"), ids=Sum("round_id"), people=Sum("respondents"))
    key = results_key(
        "network-quality",
        network.pk,
        instrument.pk,
        instrument.content_hash,
        minimum,
        "-".join(str(stamp[name] or 0) for name in ("rounds", "ids", "people")),
    )
    rows = cache.get(key)
    if rows is None:
        rows = disclosure.instrument_quality(sites, instrument)
        cache.set(key, rows, RESULTS_TIMEOUT)
    return rows


@login_required
def quality(request, slug):
    """How good the questions are, from every published response of the network's sites
    on one instrument version (the newest they used, or ?version=)."""
    network = get_network_for_user(request.user, slug)
    sites = list(network.facilities.all())
    versions = list(
        Instrument.objects.filter(rounds__facility__in=sites)
        .distinct()
        .order_by("-loaded_at", "-id")
    )
    chosen = next((v for v in versions if v.version == request.GET.get("version")), None)
    instrument = chosen or (versions[0] if versions else None)
    rows = _quality_rows(network, sites, instrument) if instrument else []
    return render(
        request,
        "networks/quality.html",
        {
            "network": network,
            "instrument": instrument,
            "versions": versions,
            "rows": rows,
            "low_below": reliability.LOW_RELIABILITY_BELOW,
            "weak_below": reliability.WEAK_ITEM_BELOW,
            "minimum": disclosure.largest_minimum(sites),
        },
    )
