"""A facility's scores as its dashboards show them, one row per round, level (overall,
domain, determinant) and code, for anyone who may read its results.

Every figure comes from disclosure.released_summaries, which reads all the rounds in one
query: what the dashboard hides is blank, with the reason beside it. The summaries carry
no count of the people with a score for a determinant and no don't-know rate, so the
file has neither (released_scores, which has them, costs queries per round)."""

from __future__ import annotations

from readiness import disclosure
from readiness.models import Facility, Round


def score_header() -> list[str]:
    """The column names of the scores by round, in the reader's language."""
    from django.utils.translation import gettext as _

    return [
        _("Round"),
        _("Opened on"),
        _("Closed on"),
        _("Status"),
        _("Questionnaire version"),
        _("Level"),
        _("Domain code"),
        _("Code"),
        _("Name"),
        _("Score (0 to 100)"),
        _("Band"),
        _("Band code"),
        _("People in the results"),
        _("Hidden because"),
    ]


def score_rows(round_: Round, summary, *, minimum: int) -> list[list]:
    """One round's rows: overall, then each domain followed by its determinants, in
    questionnaire order, from its summary (disclosure.released_summaries). Scores are
    whole numbers as pages show them (scoring.shown) and bands are those of the number shown
    (scoring.band_for): a score of 74.5 reads 75, a strength. A determinant the summary
    leaves out was hidden (fewer than ``minimum`` people have a score), and so is a domain
    whose determinants all were: their score is blank and the last column says why."""
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    from readiness import scoring
    from readiness.models import Band
    from readiness.pages import instrument_structure

    head = [
        round_.label,
        round_.opened_on,
        round_.closed_on,
        str(round_.get_status_display()),
        summary.instrument_version,
    ]

    def row(level, domain_code, code, name, score, hidden=None):
        band = scoring.band_for(score)
        return [
            *head,
            level,
            domain_code,
            code,
            name,
            scoring.shown(score),
            str(Band(band).label),
            str(band),
            summary.respondents,
            hidden,
        ]

    fewer = _("fewer than %(n)s people have a score") % {"n": minimum}
    rows = [
        row(
            pgettext("level of a score", "overall"),
            None,
            None,
            _("Overall readiness"),
            summary.overall,
            None if summary.overall is not None else fewer,
        )
    ]
    by_domain: dict[str, list] = {}
    for determinant in instrument_structure(round_.instrument).determinants:
        by_domain.setdefault(determinant.domain.code, []).append(determinant)
    for domain_code, determinants in by_domain.items():
        domain = determinants[0].domain
        score = summary.domains.get(domain_code)
        rows.append(
            row(
                pgettext("level of a score", "domain"),
                domain_code,
                domain_code,
                domain.name,
                score,
                None
                if score is not None
                else _("every determinant in it is hidden: %(reason)s") % {"reason": fewer},
            )
        )
        for determinant in determinants:
            score = summary.determinants.get(determinant.code)
            rows.append(
                row(
                    pgettext("level of a score", "determinant"),
                    domain_code,
                    determinant.code,
                    determinant.name,
                    score,
                    None if score is not None else fewer,
                )
            )
    return rows


def score_table(facility: Facility, rounds) -> list[list]:
    """The scores by round of these rounds of the facility (a queryset), header first,
    the newest round first; rounds whose published results show nothing are left out,
    as disclosure.released_summaries leaves them out.

    Two queries whatever the number of rounds: the rounds with their questionnaire
    version, and released_summaries. Besides, once: each questionnaire version's
    structure per process, and the published results of a round that had none yet (a
    round nobody finished, which released_summaries publishes as the dashboard does)."""
    rounds = list(rounds.select_related("instrument").order_by("-opened_on", "-pk"))
    summaries = disclosure.released_summaries([round_.pk for round_ in rounds])
    minimum = disclosure.min_group(facility)
    table = [score_header()]
    for round_ in rounds:
        summary = summaries.get(round_.pk)
        if summary is not None:
            table += score_rows(round_, summary, minimum=minimum)
    return table
