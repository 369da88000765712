"""Pages for anonymous respondents.

No session and no cookie but the CSRF one: the respondent is known only by the personal
token in the address, so answers survive a closed browser, an expired session or a
change of device. A GET never writes, so a link preview or crawler creates nothing.
"""

from functools import partial, wraps

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from readiness import languages
from readiness.disclosure import min_group
from readiness.forms.questionnaire import PageForm, StartForm, answer_choices
from readiness.models import Answer, Respondent, Role, Round, new_token
from readiness.pages import questionnaire_pages
from readiness.ratelimits import used_up
from readiness.services import quality, responses

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


def _personal_link(group, request) -> str:
    return request.resolver_match.kwargs["token"]


# Saves are limited per personal link, and only generously per address: a whole
# hospital's staff may share one public address. The address is used for counting in the
# cache only (hashed by django-ratelimit), never stored with answers.
limit_per_address = ratelimit(
    group="respondent-address",  # one count for starting and saving
    key="ip",
    rate=lambda group, request: settings.RESPONDENT_RATE_PER_ADDRESS,
    method="POST",
)
limit_per_respondent = ratelimit(
    key=_personal_link, rate=lambda group, request: settings.RESPONDENT_RATE, method="POST"
)


def limit_starts_per_round(view):
    """Respondents started from one address on one round within an hour (the window is
    django-ratelimit's fixed hour): a stuffed round is a script starting respondents.
    Generous, because a whole hospital may share one public address. The round's link
    names the group, so the address is counted per round, by django-ratelimit's own
    "ip" key (its IPv6 mask applies), in the cache only."""

    @wraps(view)
    def limited(request, link_token, *args, **kwargs):
        if is_ratelimited(
            request,
            group=f"respondent-starts:{link_token}",
            key="ip",
            rate=settings.RESPONDENT_STARTS_PER_ADDRESS,
            method="POST",
            increment=True,
        ):
            raise Ratelimited
        return view(request, link_token, *args, **kwargs)

    return limited


def _no_store(response):
    # Pages with answers or a one-time form must not be kept by the browser or a proxy
    # (Django's never-cache headers include no-store): on a shared computer the next
    # person must not see them.
    add_never_cache_headers(response)
    return response


def _closed(request, round_):
    context = {
        "round": round_,
        "language_choices": languages.switcher(round_.instrument, translation.get_language()),
    }
    return _no_store(render(request, "questionnaire/closed.html", context, status=410))


def _render_start(request, round_, form, *, notice="", status=200):
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
    return _no_store(render(request, "questionnaire/start.html", context, status=status))


@require_http_methods(["GET", "POST"])
@limit_per_address
@limit_starts_per_round
def start(request, link_token):
    round_ = get_object_or_404(
        Round.objects.select_related("facility", "instrument"),
        link_token=link_token,
        facility__deleted_at__isnull=True,  # a deleted facility's link leads nowhere
    )
    languages.use(request, languages.choose(request, round_.instrument))
    if not round_.is_open:
        return _closed(request, round_)
    roles = Role.objects.filter(instrument_id=round_.instrument_id)
    if request.method == "POST":
        # The language the start page was read in, kept for the respondent's pages.
        languages.use(
            request,
            languages.posted(request, round_.instrument, fallback=translation.get_language()),
        )
    if request.method == "GET":
        form = StartForm(roles=roles, initial={"nonce": new_token()})
        return _render_start(request, round_, form)

    form = StartForm(request.POST, roles=roles)
    if not form.is_valid():
        if "nonce" in form.errors:
            form = StartForm(roles=roles, initial={"nonce": new_token()})
            return _render_start(request, round_, form, notice=_("Please choose your role again."))
        return _render_start(request, round_, form)
    try:
        started = responses.start_respondent(
            round_=round_,
            role=form.cleaned_data["role"],
            nonce=form.cleaned_data["nonce"],
            language=translation.get_language(),
        )
    except responses.RoundClosed:
        return _closed(request, round_)
    except responses.StartFormUsed as refusal:
        form = StartForm(roles=roles, initial={"nonce": new_token()})
        return _render_start(request, round_, form, notice=str(refusal), status=409)
    url = reverse("respondent-page", args=[started.token, 1])
    return redirect(f"{url}?notice=started")


# Unknown short codes one address may try in an hour (django-ratelimit's fixed hour):
# plenty for staff mistyping a flyer's code behind one hospital address, far too few to
# search the 31**12 codes (models.SHORT_CODE_ALPHABET) for an open round. Known codes
# are never counted, so staff using the link do not use it up; but once an address has
# used up its misses, every short link is refused from it for the rest of the hour,
# known ones too: letting those through would tell a searcher which codes are real.
# The trade-off: someone behind a hospital's shared address who tries 120 wrong codes
# stops the short link and its QR code for colleagues there for up to an hour; the long
# link still works (docs/security.md).
SHORT_LINK_MISSES_PER_ADDRESS = "120/h"


def _short_link_misses(request, *, increment: bool) -> bool:
    """Whether this address used up its unknown codes (after counting one more, with
    ``increment``): counted in the cache only, under django-ratelimit's hash of it."""
    return used_up(
        request,
        group="respondent-short-misses",
        key="ip",
        rate=SHORT_LINK_MISSES_PER_ADDRESS,
        increment=increment,
    )


@require_http_methods(["GET"])
def short_link(request, code):
    """The round's short link: on to its start page, so that there is one start page
    (with its rate limits). A replaced code is unknown, 404, like a replaced long link;
    a closed round's start page says it is closed (410)."""
    if _short_link_misses(request, increment=False):
        raise Ratelimited
    link_token = (
        Round.objects.filter(short_code=code, facility__deleted_at__isnull=True)
        .values_list("link_token", flat=True)
        .first()
    )
    if link_token is None:
        _short_link_misses(request, increment=True)  # counted; the next request may be refused
        raise Http404(_("This link is not valid."))
    start_url = reverse("respondent-start", args=[link_token])
    asked = request.GET.get(languages.PARAMETER)
    if asked in {language.code for language in languages.site_languages()}:
        start_url += f"?{languages.PARAMETER}={asked}"  # the link of a message in that language
    return _no_store(redirect(start_url))


def _respondent_or_404(request, token) -> Respondent:
    """The respondent of the personal link, with their pages in their language."""
    respondent = responses.find_respondent(token)
    if respondent is None:
        raise Http404(_("This link is not valid."))
    instrument = respondent.round.instrument
    languages.use(request, languages.choose(request, instrument, stored=respondent.language))
    return respondent


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
    return _no_store(render(request, "questionnaire/page.html", context, status=status))


# What the buttons at the bottom of a page do. Going back or stopping for later saves
# whatever is answered so far; going on requires every question on the page. Staying
# (Enter on the last page, and the language switcher's buttons, named "language") saves
# what is answered and shows the same page again, in the language chosen.
NEXT, BACK, LATER, STAY = "next", "back", "later", "stay"


def _asked(request, respondent) -> tuple[str, str | None]:
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
        return _closed(request, respondent.round)
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

    direction, language = _asked(request, respondent)
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
        return _closed(request, respondent.round)
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
    return _no_store(render(request, "questionnaire/done.html", context))


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
    direction, _language = _asked(request, respondent)  # in the language asked for
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
    return _render_start(
        request,
        round_,
        form,
        status=403,
        notice=_("The page's security check expired. Please press Start again."),
    )
