"""Respondent pages answered before their view runs: after a CSRF failure (the
questionnaire page or the start page again, with what was entered), and refusals (a
rate limit, a post too large) in the language the view would have used."""

from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from readiness import languages
from readiness.forms.questionnaire import PageForm, StartForm, answer_choices
from readiness.models import Role, Round, new_token
from readiness.pages import questionnaire_pages
from readiness.services import responses
from readiness.views.questionnaire.answering import NEXT, asked
from readiness.views.questionnaire.rendering import render_page, render_start


def use_respondent_language(request, *, read_form: bool = True) -> None:
    """For a page answered before a respondent's view runs (a rate limit, a post too
    large): the language that view would have shown. ``read_form`` False when the body
    must not be read (it is too large)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return
    if "token" in match.kwargs:
        respondent = responses.find_respondent(match.kwargs["token"])
        if respondent is not None:
            instrument = respondent.round.instrument
            chosen = languages.choose(request, instrument, stored=respondent.language)
            languages.use(request, chosen)
    elif "link_token" in match.kwargs:
        round_ = (
            Round.objects.filter(link_token=match.kwargs["link_token"])
            .select_related("instrument")
            .first()
        )
        if round_ is not None:
            chosen = languages.choose(request, round_.instrument)
            if read_form and request.method == "POST":
                chosen = languages.posted(request, round_.instrument, fallback=chosen)
            languages.use(request, chosen)


def csrf_failure_page(request, token, number):
    """Re-show a questionnaire page with what was entered, after a CSRF failure."""
    respondent = responses.find_respondent(token)
    if respondent is None or respondent.is_finished or not respondent.round.is_open:
        return None
    instrument = respondent.round.instrument
    languages.use(request, languages.choose(request, instrument, stored=respondent.language))
    pages = questionnaire_pages(respondent.round.instrument, respondent.role.code)
    if not 1 <= number <= len(pages):
        return None
    direction, _language = asked(request, respondent)  # in the language asked for
    form = PageForm(
        request.POST,
        items=pages[number - 1].items,
        choices=answer_choices(respondent.round.instrument),
        partial=direction != NEXT,
    )
    form.is_valid()  # so that missing answers are marked as well, when going on
    return render_page(
        request,
        token=token,
        respondent=respondent,
        pages=pages,
        number=number,
        form=form,
        status=403,
        notice=_(
            "This page was open for a long time, so its security check expired and it "
            "was not saved yet. Your answers are still filled in below: please press "
            "the button again to save them."
        ),
    )


def csrf_failure_start(request, link_token):
    round_ = (
        Round.objects.filter(link_token=link_token, facility__deleted_at__isnull=True)
        .select_related("facility", "instrument")
        .first()
    )
    if round_ is None or not round_.is_open:
        return None
    languages.use(
        request,
        languages.posted(
            request, round_.instrument, fallback=languages.choose(request, round_.instrument)
        ),
    )
    roles = Role.objects.filter(instrument_id=round_.instrument_id)
    form = StartForm(initial={"nonce": new_token(), "role": request.POST.get("role")}, roles=roles)
    return render_start(
        request,
        round_,
        form,
        status=403,
        notice=_("The page's security check expired. Please press Start again."),
    )
