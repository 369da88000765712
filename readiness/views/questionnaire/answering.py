"""The personal link's pages: the questionnaire a page at a time, coming back later, and
the thank-you page."""

from functools import partial

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from readiness import languages
from readiness.forms.questionnaire import PageForm, answer_choices
from readiness.models import Answer, Respondent
from readiness.pages import questionnaire_pages
from readiness.services import quality, responses
from readiness.views.questionnaire.limits import limit_per_address, limit_per_respondent
from readiness.views.questionnaire.rendering import no_store, render_closed, render_page

# Notices passed as ?notice=... after a redirect, because respondents have no session
# for Django's messages framework to use.
NOTICES = {
    "started": gettext_lazy(
        "Your answers are saved on each page. To come back later, keep your personal link below."
    ),
    "saved": gettext_lazy("Your answers on the last page are saved."),
    "later": gettext_lazy(
        "Your answers so far are saved. Use your personal link below to come back and "
        "finish; it works on any device until the assessment closes."
    ),
    "incomplete": gettext_lazy(
        "Before you can submit, please answer the questions still open on this page."
    ),
}


def _respondent_or_404(request, token) -> Respondent:
    """The respondent of the personal link, with their pages in their language."""
    respondent = responses.find_respondent(token)
    if respondent is None:
        raise Http404(_("This link is not valid."))
    instrument = respondent.round.instrument
    languages.use(request, languages.choose(request, instrument, stored=respondent.language))
    return respondent


# What the buttons at the bottom of a page do. Going back or stopping for later saves
# whatever is answered so far; going on requires every question on the page. Staying
# (Enter on the last page, and the language switcher's buttons, named "language") saves
# what is answered and shows the same page again, in the language chosen.
NEXT, BACK, LATER, STAY = "next", "back", "later", "stay"


def asked(request, respondent) -> tuple[str, str | None]:
    """What a questionnaire page's post asks for: a direction, and the language switched
    to (None when not switching), which the response is then shown in."""
    direction = request.POST.get("direction", NEXT)
    if direction not in (NEXT, BACK, LATER, STAY):
        direction = NEXT
    if "language" not in request.POST:
        return direction, None
    instrument = respondent.round.instrument
    language = languages.posted(request, instrument, fallback=translation.get_language())
    languages.use(request, language)
    return STAY, language


@require_http_methods(["GET", "POST"])
@limit_per_address
@limit_per_respondent
def page(request, token, number):
    respondent = _respondent_or_404(request, token)
    if respondent.is_finished:
        return redirect("respondent-done", token)
    if not respondent.round.is_open:
        return render_closed(request, respondent.round)
    pages = questionnaire_pages(respondent.round.instrument, respondent.role.code)
    if not 1 <= number <= len(pages):
        raise Http404(_("This page does not exist."))
    items = pages[number - 1].items
    choices = answer_choices(respondent.round.instrument)
    show = partial(
        render_page, request, token=token, respondent=respondent, pages=pages, number=number
    )

    if request.method == "GET":
        answers = Answer.objects.filter(respondent=respondent, item__in=items)
        initial = PageForm.initial_for(answers, items)
        initial["shown_at"] = quality.page_shown_value(respondent_id=respondent.pk, page=number)
        form = PageForm(items=items, choices=choices, initial=initial)
        return show(form=form, notice=NOTICES.get(request.GET.get("notice", ""), ""))

    direction, language = asked(request, respondent)
    form = PageForm(request.POST, items=items, choices=choices, partial=direction != NEXT)
    if not form.is_valid():
        # 200 like Django's own form views: answering a correction with a 4xx would
        # also log an error in the respondent's browser console.
        return show(form=form, notice=_("Some questions need an answer. They are marked below."))
    try:
        saved = responses.save_page(
            respondent=respondent,
            page=number,
            answers=form.answers(),
            finish=direction == NEXT and number == len(pages),
            seconds=quality.seconds_on_page(
                form.cleaned_data["shown_at"], respondent_id=respondent.pk, page=number
            ),
            language=language,
        )
    except responses.AlreadyFinished:
        return redirect("respondent-done", token)
    except responses.RoundClosed:
        return render_closed(request, respondent.round)
    if saved.finished:
        return redirect("respondent-done", token)
    if saved.first_incomplete_page:
        url = reverse("respondent-page", args=[token, saved.first_incomplete_page])
        return redirect(f"{url}?notice=incomplete")
    if direction == BACK:
        return redirect("respondent-page", token, max(number - 1, 1))
    if direction == STAY:
        return redirect("respondent-page", token, number)
    if direction == LATER:
        url = reverse("respondent-page", args=[token, number])
        return redirect(f"{url}?notice=later")
    return redirect(reverse("respondent-page", args=[token, number + 1]) + "?notice=saved")


@require_http_methods(["GET"])
def resume(request, token):
    """The personal link: back to the first page with unanswered questions."""
    respondent = _respondent_or_404(request, token)
    if respondent.is_finished:
        return redirect("respondent-done", token)
    return redirect("respondent-page", token, responses.first_incomplete_page(respondent) or 1)


@require_http_methods(["GET"])
def done(request, token):
    respondent = _respondent_or_404(request, token)
    if not respondent.is_finished:
        return redirect("respondent-resume", token)
    context = {
        "round": respondent.round,
        "language_choices": languages.switcher(
            respondent.round.instrument, translation.get_language()
        ),
    }
    return no_store(render(request, "questionnaire/done.html", context))
