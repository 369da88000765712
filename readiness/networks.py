"""What a network's pages show, assembled for their templates, and the keys they are kept
under: selectors the network views render (views/networks.py). Which round of each site
is compared, and the summary's rules, are in readiness/comparison/."""

import hashlib

from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language

from readiness import charts, comparison, disclosure, paging, reliability
from readiness.forms import QuestionnaireVersionForm
from readiness.models import Instrument, RoundRelease
from readiness.rendered import RESULTS_TIMEOUT, results_key


def comparison_key(network, query: QueryDict, number: int) -> str:
    """The comparison page's body is the same for each of the network's leaders, for one
    version of its sites' results (one query: which live sites, and each one's
    results_version, which every new release, round opened, closed or deleted, new
    minimum group and answer-download change bumps), one choice of filters and order, one
    language and one day (the summary counts twelve months back); and for one build and
    site minimum (rendered.py)."""
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


def comparison_context(network, query: QueryDict, number) -> dict:
    """The comparison page's body, as networks/_comparison_body.html reads it: the summary
    over every site, and the table and heat map of one page of them."""
    context = comparison.overview(network, query)
    context["page"] = paging.page_of(context["sites"], number)
    comparison.with_rows(context["page"], context["codes"])
    context["figure"] = charts.site_heatmap(context["page"], context["determinants"])
    filters = query.copy()
    filters.pop("sort", None)  # another order starts again on the first page
    context["filter_query"] = filters.urlencode()
    context["query"] = query  # for the links between pages
    return context | answer_access(network)


def answer_access(network) -> dict:
    """Which sites let the network's leaders download their answers (named up to
    comparison.summary.LISTED, as the summary's lists), and how many sites there are."""
    counts = network.facilities.aggregate(
        sites=Count("pk"), allowing=Count("pk", filter=Q(network_answer_access=True))
    )
    names = list(
        network.facilities.filter(network_answer_access=True)
        .order_by("name")
        .values_list("name", flat=True)[: comparison.summary.LISTED]
    )
    return {
        "answer_sites": names,
        "answer_site_count": counts["allowing"],
        "answer_sites_more": counts["allowing"] - len(names),
        "site_count": counts["sites"],
    }


def quality_context(network, data) -> dict:
    """The question-quality page: from every published response of the network's sites
    on one questionnaire version (``data``'s ``version``, or the newest they used)."""
    sites = list(network.facilities.all())
    versions = list(
        Instrument.objects.filter(rounds__facility__in=sites)
        .distinct()
        .order_by("-loaded_at", "-id")
    )
    asked = QuestionnaireVersionForm(data if "version" in data else None, versions=versions)
    instrument = asked.chosen()
    minimum = disclosure.largest_minimum(sites)
    return {
        "network": network,
        "instrument": instrument,
        # the choice as shown: the version whose figures are on the page
        "form": QuestionnaireVersionForm(
            initial={"version": instrument and instrument.version}, versions=versions
        ),
        "versions": versions,
        "rows": quality_rows(network, sites, instrument, minimum) if instrument else [],
        "minimum": minimum,
        "low_below": reliability.LOW_RELIABILITY_BELOW,
        "weak_below": reliability.WEAK_ITEM_BELOW,
    }


def quality_rows(network, sites, instrument, minimum: int):
    """disclosure.instrument_quality, kept until what it reads changes: the published
    people of the sites' rounds published all at once on this questionnaire (one
    query: how many such rounds, which, and how many people they hold), and the
    smallest group the figures rest on (``minimum``, the sites' largest). New people
    joining rounds published in steps, which these figures leave out, keep them."""
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
