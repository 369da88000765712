"""A network's comparison of its sites: determinants by site, filters, role coverage, a
summary of where the network stands, and downloads of the table and of every answer."""

import datetime
import hashlib
from dataclasses import dataclass, field
from statistics import median

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, F, Sum
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from readiness import charts, disclosure, exports, paging, reliability, reports
from readiness.disclosure import released_summaries
from readiness.models import (
    AuditEvent,
    Band,
    Determinant,
    Facility,
    FacilityType,
    Instrument,
    Role,
    Round,
    USState,
)
from readiness.pages import instrument_by_version
from readiness.paging import page_of
from readiness.permissions import get_network_for_user
from readiness.rendered import results_key
from readiness.scoring import band_for, comparable, shown
from readiness.services.audit import record_for_facilities
from readiness.services.releases import refresh_release
from readiness.views.dashboard import RESULTS_TIMEOUT

# The summary names this many of the weakest areas across the sites.
WEAKEST_SHOWN = 3


class ComparisonFilter(forms.Form):
    type = forms.ChoiceField(
        label=gettext_lazy("Facility type"),
        required=False,
        choices=[("", gettext_lazy("All types"))] + FacilityType.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("All states"))] + USState.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    opened_from = forms.DateField(
        label=gettext_lazy("Rounds opened from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    opened_to = forms.DateField(
        label=gettext_lazy("Rounds opened until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    include_open = forms.BooleanField(
        label=gettext_lazy("Include rounds still collecting answers"),
        help_text=gettext_lazy(
            "Without it, each site is compared on its latest closed round. With it, a "
            "site's round still collecting answers is used when it is the latest with "
            "results; it is marked as open, and its results can still change."
        ),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


@dataclass
class Site:
    facility: Facility
    round: Round | None = None
    scores: dict[str, float] = field(default_factory=dict)
    overall: float | None = None
    # people in the shown round's published results (never the live count, which would
    # move when one person finishes: disclosure.release_status)
    people: int | None = None
    # roles with at least the minimum group in the shown round (disclosure.py)
    roles_heard: frozenset[str] = frozenset()
    other_version: bool = False  # answered on an older questionnaire version
    # No round shown because the site's latest round in the period is still collecting
    # answers and open rounds were not asked for; whether that round has results yet.
    collecting: bool = False
    collecting_has_results: bool = False
    # For the summary, whatever the period chosen: whether the site has any round, and
    # when it last closed a round with results.
    has_rounds: bool = False
    last_closed_on: datetime.date | None = None

    row: list = field(default_factory=list)  # (score, band in words) per determinant column


def _a_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29
        return day.replace(year=day.year - 1, day=28)


def _in_period_dates(opened_on: datetime.date, filters: dict) -> bool:
    if filters.get("opened_from") and opened_on < filters["opened_from"]:
        return False
    return not (filters.get("opened_to") and opened_on > filters["opened_to"])


def _comparison(network, data):
    """Sites with their latest closed round in the period that has published results (or
    their latest round with results, open or closed, when asked), in a fixed number of
    queries. Rounds are chosen from plain columns (RoundRelease.has_results); only the
    chosen round of each site is summarised, so a site costs the same with 3 rounds or
    30."""
    form = ComparisonFilter(data)
    filters = form.cleaned_data if form.is_valid() else {}
    include_open = bool(filters.get("include_open"))
    facilities = network.facilities.order_by("name")
    if filters.get("type"):
        facilities = facilities.filter(type=filters["type"])
    if filters.get("state"):
        facilities = facilities.filter(state=filters["state"])
    sites = {f.pk: Site(facility=f) for f in facilities}  # 1
    # Rounds from before every round had its release get one, once (refresh_release):
    # the choice below reads every round's release.
    for pk in Round.objects.filter(facility__in=facilities, release__isnull=True).values_list(
        "pk", flat=True
    ):  # 2
        refresh_release(round_id=pk)
    minimums = {pk: disclosure.min_group(site.facility) for pk, site in sites.items()}
    # Every round of the sites, the period applied here: the summary's "no closed round
    # in the last twelve months" looks beyond the period chosen.
    every_round = list(  # 3
        Round.objects.filter(facility__in=facilities)
        .order_by("-opened_on", "-pk")
        .values_list(
            "pk",
            "facility_id",
            "opened_on",
            "closed_on",
            "status",
            "instrument__version",
            "release__respondents",
            "release__most_scored",
        )
    )

    def has_results(respondents, most_scored, facility_id) -> bool:
        minimum = minimums[facility_id]
        return respondents >= minimum and most_scored >= minimum

    chosen = {}  # site -> its round's id
    eligible_instrument = period_instrument = None
    for pk, facility_id, opened_on, closed_on, status, version, *counts in every_round:
        site = sites[facility_id]
        site.has_rounds = True
        is_open = status == Round.Status.OPEN
        results = has_results(*counts, facility_id)
        if not is_open and results:
            closed = closed_on or opened_on  # imports before closed_on: opened
            if site.last_closed_on is None or closed > site.last_closed_on:
                site.last_closed_on = closed
        if not _in_period_dates(opened_on, filters):
            continue
        period_instrument = period_instrument or version
        if include_open or not is_open:
            eligible_instrument = eligible_instrument or version
        if facility_id in chosen:
            continue
        if not results or (is_open and not include_open):
            if is_open and not site.collecting:  # (the newest open one)
                site.collecting = True
                site.collecting_has_results = results
            continue
        chosen[facility_id] = pk
    rounds = {}
    summaries = released_summaries(chosen.values(), rounds_read=rounds) if chosen else {}  # 4
    # the columns: the newest questionnaire among the rounds that may be compared (read
    # once per process: versions never change once loaded)
    reference_version = eligible_instrument or period_instrument
    reference = instrument_by_version(reference_version) if reference_version else None
    for facility_id, pk in chosen.items():
        site, round_ = sites[facility_id], rounds[pk]
        site.round, round_.facility = round_, site.facility
        # in the newest round's questionnaire version: another version's round keeps only
        # the determinants that carried over, and no overall score
        summary = comparable(summaries[pk], reference)
        site.scores = summary.determinants
        site.overall = summary.overall
        site.people = summary.respondents  # the published count (disclosure.release_status)
        site.other_version = round_.instrument_id != reference.pk
        site.roles_heard = summaries[pk].roles_with_minimum
    determinants = (
        list(  # 5. the columns: the newest questionnaire's determinants
            Determinant.objects.filter(domain__instrument=reference)
            .order_by("domain__position", "position")
            .values_list("code", "name")
        )
        if reference
        else []
    )
    key_roles = (
        list(  # 6.
            Role.objects.filter(instrument=reference, key_voice=True).values_list("code", "name")
        )
        if reference
        else []
    )
    return form, list(sites.values()), determinants, key_roles


@dataclass
class WeakArea:
    name: str
    median: float
    sites: int  # sites with a score for it
    in_gap: int  # of them, in the gap band


def _weakest(sites, determinants) -> list[WeakArea]:
    """The areas with the lowest median across the sites that have a score for them,
    from the scores the table shows (each already released by disclosure.py)."""
    areas = []
    for position, (code, name) in enumerate(determinants):
        values = [s.scores[code] for s in sites if s.round and s.scores.get(code) is not None]
        if values:
            middle = median(values)
            gap = sum(1 for v in values if band_for(v) == Band.GAP)
            areas.append((shown(middle), position, WeakArea(name, middle, len(values), gap)))
    return [area for *_key, area in sorted(areas, key=lambda a: a[:2])[:WEAKEST_SHOWN]]


def with_rows(sites, codes):
    """Each site's table cells (score, band in words), for the sites shown."""
    for site in sites:
        site.row = [
            (site.scores.get(code), Band(band_for(site.scores.get(code))).label) for code in codes
        ]
    return sites


def _sorted(sites, sort, codes):
    def key(site):
        if sort == "overall":
            value = site.overall
        elif sort in codes:
            value = site.scores.get(sort)
        else:
            return (0, site.facility.name.lower())
        return (value is None, value if value is not None else 0, site.facility.name.lower())

    return sorted(sites, key=key)


def _overview(network, data) -> dict:
    """What the network page and its report show: every site with its round and scores,
    and the summary (weakest areas, sites with no recent round, missing voices), from
    the figures of the table (each released by disclosure.py)."""
    form, sites, determinants, key_roles = _comparison(network, data)
    codes = [code for code, _ in determinants]
    sort = data.get("sort", "name")
    sites = _sorted(sites, sort, codes)
    scored = [s for s in sites if s.round is not None]
    # Only sites with results can be judged on the roles heard; the others say so in the
    # table.
    missing = [
        (site, names)
        for site in scored
        if (names := [name for code, name in key_roles if code not in site.roles_heard])
    ]
    year_ago = _a_year_before(timezone.localdate())
    return {
        "network": network,
        "form": form,
        "include_open": form.is_valid() and form.cleaned_data["include_open"],
        "sites": sites,
        "scored": scored,
        "determinants": determinants,
        "codes": codes,
        "key_roles": key_roles,
        "missing": missing,
        "sort": sort,
        "scored_count": len(scored),
        "weakest": _weakest(scored, determinants),
        "year_ago": year_ago,
        "no_recent_round": [
            site
            for site in sorted(sites, key=lambda s: s.facility.name.lower())
            if site.last_closed_on is None or site.last_closed_on < year_ago
        ],
    }


def _choice(request) -> tuple[QueryDict, int] | None:
    """The filters and order asked for, written as the page writes them, and the page
    number; None when a filter is invalid (that page is shown with its error, and not
    kept). Made-up parameters and spellings fall away, so that they do not each render
    the page again, and the page kept is the same whoever asked."""
    form = ComparisonFilter(request.GET)
    if not form.is_valid():
        return None
    query = QueryDict(mutable=True)
    for name, value in form.cleaned_data.items():
        if value is True:
            query[name] = "on"
        elif value:
            query[name] = value.isoformat() if hasattr(value, "isoformat") else value
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
    context = _overview(network, query)
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
    every_site = list(
        network.facilities.order_by("name").values_list("name", "network_answer_access")
    )
    context["answer_sites"] = [name for name, allowed in every_site if allowed]
    context["site_count"] = len(every_site)
    return render_to_string("networks/_comparison_body.html", context)


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
        {"network": network, "body": mark_safe(body)},  # noqa: S308 (rendered by _body)
    )


@login_required
@ratelimit(key="user", rate=reports.rate, group="reports", block=True)
def comparison_report_pdf(request, slug):
    """The network's report: every site on one page, the weakest areas across them."""
    network = get_network_for_user(request.user, slug)
    context = _overview(network, request.GET)
    with_rows(context["sites"], context["codes"])
    context["heading"] = _("%(network)s · sites compared") % {"network": network.name}
    content = reports.pdf("reports/network.html", context)
    # every site the report names, with or without scores
    _record_download(request, network, [s.facility for s in context["sites"]], "report", "pdf")
    response = HttpResponse(content, content_type="application/pdf")
    name = slugify(network.slug) or "network"
    response["Content-Disposition"] = f'attachment; filename="readiness-{name}.pdf"'
    return response


@login_required
def comparison_download(request, slug, fmt):
    network = get_network_for_user(request.user, slug)
    _form, sites, determinants, _roles = _comparison(network, request.GET)
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


@login_required
def answers_download(request, slug, fmt):
    """One row per answer of the sites whose owners allow it (rule 4 of disclosure.py);
    the allowance is read on every request, so revoking it takes effect at once."""
    network = get_network_for_user(request.user, slug)
    facilities = list(network.facilities.filter(network_answer_access=True).order_by("name"))
    _record_download(request, network, facilities, "answers", fmt)
    return exports.download(
        fmt=fmt,
        name=f"{network.slug}-answers",
        rows=lambda: exports.answer_table(facilities, with_facility=True),
    )


def _record_download(request, network, facilities, kind, fmt):
    """Each site in a network download sees it in its own audit log."""
    record_for_facilities(
        action=AuditEvent.Action.EXPORTED,
        user=request.user,
        facilities=facilities,
        download=f"network {kind}",
        network=network.name,
        format=fmt,
    )


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
    rows = disclosure.instrument_quality(sites, instrument) if instrument else []
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
