"""Rate limits on respondents' posts: per personal link, and generously per address and
per round's link, since a whole hospital's staff may share one public address."""

from functools import wraps

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited


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
    # named: django-ratelimit's default group is the view's dotted path, which would
    # start every personal link's count afresh whenever the view moves
    group="respondent-saves",
    key=_personal_link,
    rate=lambda group, request: settings.RESPONDENT_RATE,
    method="POST",
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
