"""A network's comparison of its sites: determinants by site, filters, role coverage, and
downloads of the table and of every answer."""

from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from readiness import charts, disclosure, exports, reliability
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
from readiness.permissions import get_network_for_user
from readiness.scoring import band_for, comparable
from readiness.services.audit import record_for_facilities


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


@dataclass
class Site:
    facility: Facility
    round: Round | None = None
    scores: dict[str, float] = field(default_factory=dict)
    overall: float | None = None
    # roles with at least the minimum group in the shown round (disclosure.py)
    roles_heard: frozenset[str] = frozenset()
    other_version: bool = False  # answered on an older questionnaire version

    row: list = field(default_factory=list)  # (score, band in words) per determinant column


def _comparison(network, data):
    """Sites with their latest round in the period, with its published results, in a
    fixed number of queries."""
    form = ComparisonFilter(data)
    filters = form.cleaned_data if form.is_valid() else {}
    facilities = network.facilities.order_by("name")
    if filters.get("type"):
        facilities = facilities.filter(type=filters["type"])
    if filters.get("state"):
        facilities = facilities.filter(state=filters["state"])
    rounds = Round.objects.filter(facility__in=facilities).select_related("instrument")
    if filters.get("opened_from"):
        rounds = rounds.filter(opened_on__gte=filters["opened_from"])
    if filters.get("opened_to"):
        rounds = rounds.filter(opened_on__lte=filters["opened_to"])
    sites = {f.pk: Site(facility=f) for f in facilities}  # 1
    rounds = list(rounds.order_by("-opened_on", "-pk"))  # 2
    summaries = released_summaries([r.pk for r in rounds]) if rounds else {}  # 3
    for round_ in rounds:  # newest first: the latest round with results wins
        site = sites[round_.facility_id]
        if site.round is None and round_.pk in summaries:
            site.round, round_.facility = round_, site.facility
            # in the newest round's questionnaire version: another version's round keeps
            # only the determinants that carried over, and no overall score
            summary = comparable(summaries[round_.pk], rounds[0].instrument)
            site.scores = summary.determinants
            site.overall = summary.overall
            site.other_version = round_.instrument_id != rounds[0].instrument_id
    for site in sites.values():
        if site.round is not None:
            site.roles_heard = summaries[site.round.pk].roles_with_minimum
    determinants = (
        list(  # 4. the columns: the newest questionnaire's determinants
            Determinant.objects.filter(domain__instrument=rounds[0].instrument)
            .order_by("domain__position", "position")
            .values_list("code", "name")
        )
        if rounds
        else []
    )
    key_roles = (
        list(  # 5.
            Role.objects.filter(instrument=rounds[0].instrument, key_voice=True).values_list(
                "code", "name"
            )
        )
        if rounds
        else []
    )
    return form, list(sites.values()), determinants, key_roles


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


@login_required
def comparison(request, slug):
    network = get_network_for_user(request.user, slug)
    form, sites, determinants, key_roles = _comparison(network, request.GET)
    codes = [code for code, _ in determinants]
    sort = request.GET.get("sort", "name")
    sites = _sorted(sites, sort, codes)
    for site in sites:
        site.row = [
            (site.scores.get(code), Band(band_for(site.scores.get(code))).label) for code in codes
        ]
    scored = [s for s in sites if s.round is not None]
    figure = (
        charts._score_heatmap(
            [[s.scores.get(code) for code in codes] for s in scored],
            x=[name for _, name in determinants],
            y=[s.facility.name for s in scored],
            empty_label=_("too few people"),
            tick_angle=-30,
        )
        if scored
        else None
    )
    query = request.GET.copy()
    query.pop("sort", None)
    context = {
        "network": network,
        "form": form,
        "sites": sites,
        "determinants": determinants,
        "codes": codes,
        "key_roles": key_roles,
        "missing": [
            (site, [name for code, name in key_roles if code not in site.roles_heard])
            for site in sites
        ],
        "figure": figure,
        "sort": sort,
        "filter_query": query.urlencode(),
    }
    every_site = list(
        network.facilities.order_by("name").values_list("name", "network_answer_access")
    )
    context["answer_sites"] = [name for name, allowed in every_site if allowed]
    context["site_count"] = len(every_site)
    return render(request, "networks/comparison.html", context)


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
                None if site.overall is None else round(site.overall, 1),
                *[None if site.scores.get(c) is None else round(site.scores[c], 1) for c in codes],
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
