"""The round's link: the start page, where a respondent chooses their role, and the short
link on flyers and QR codes that leads to it."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.exceptions import Ratelimited

from readiness import languages
from readiness.forms.questionnaire import StartForm
from readiness.models import Role, Round, new_token
from readiness.ratelimits import used_up
from readiness.services import responses
from readiness.views.questionnaire.limits import limit_per_address, limit_starts_per_round
from readiness.views.questionnaire.rendering import no_store, render_closed, render_start


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
        return render_closed(request, round_)
    roles = Role.objects.filter(instrument_id=round_.instrument_id)
    if request.method == "POST":
        # The language the start page was read in, kept for the respondent's pages.
        languages.use(
            request,
            languages.posted(request, round_.instrument, fallback=translation.get_language()),
        )
    if request.method == "GET":
        form = StartForm(roles=roles, initial={"nonce": new_token()})
        return render_start(request, round_, form)

    form = StartForm(request.POST, roles=roles)
    if not form.is_valid():
        if "nonce" in form.errors:
            form = StartForm(roles=roles, initial={"nonce": new_token()})
            return render_start(request, round_, form, notice=_("Please choose your role again."))
        return render_start(request, round_, form)
    try:
        started = responses.start_respondent(
            round_=round_,
            role=form.cleaned_data["role"],
            nonce=form.cleaned_data["nonce"],
            language=translation.get_language(),
        )
    except responses.RoundClosed:
        return render_closed(request, round_)
    except responses.StartFormUsed as refusal:
        form = StartForm(roles=roles, initial={"nonce": new_token()})
        return render_start(request, round_, form, notice=str(refusal), status=409)
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
    return no_store(redirect(start_url))
