"""What every respondent page is rendered with: never stored by a browser or proxy, in
the respondent's language, with the switcher to the round's other languages."""

from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from readiness import languages
from readiness.disclosure import min_group
from readiness.forms.questionnaire import answer_choices
from readiness.pages import questionnaire_pages


def no_store(response):
    # Pages with answers or a one-time form must not be kept by the browser or a proxy
    # (Django's never-cache headers include no-store): on a shared computer the next
    # person must not see them.
    add_never_cache_headers(response)
    return response


def render_closed(request, round_):
    context = {
        "round": round_,
        "language_choices": languages.switcher(round_.instrument, translation.get_language()),
    }
    return no_store(render(request, "questionnaire/closed.html", context, status=410))


def render_start(request, round_, form, *, notice="", status=200):
    language = translation.get_language()
    context = {
        "round": round_,
        "form": form,
        "language": language,
        "language_choices": languages.switcher(round_.instrument, language),
        "min_group": min_group(round_.facility),
        "notice": notice,
        "page_count": len(questionnaire_pages(round_.instrument)),
    }
    return no_store(render(request, "questionnaire/start.html", context, status=status))


def render_page(request, *, token, respondent, pages, number, form, notice="", status=200):
    domain = pages[number - 1].domain
    determinants = {}
    for entry in form.entries():
        determinants.setdefault(entry.item.determinant, []).append(entry)
    context = {
        "respondent": respondent,
        "round": respondent.round,
        "token": token,
        "domain": domain,
        "determinants": determinants.items(),
        "form": form,
        "choices": answer_choices(respondent.round.instrument),
        "number": number,
        "page_count": len(pages),
        "is_last": number == len(pages),
        "percent": round(100 * (number - 1) / len(pages)),
        "resume_url": request.build_absolute_uri(reverse("respondent-resume", args=[token])),
        "notice": notice,
        "language_choices": languages.switcher(
            respondent.round.instrument, translation.get_language()
        ),
    }
    return no_store(render(request, "questionnaire/page.html", context, status=status))
