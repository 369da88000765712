"""Limits that count only some requests (failed sign-ins, unknown short codes), on top of
django-ratelimit: counted when the thing happens, checked before the next request."""

from django_ratelimit.core import get_usage


def used_up(request, *, group: str, key, rate: str, increment: bool) -> bool:
    """Whether ``rate`` is used up for this key (after counting one more, with
    ``increment``); counted in the shared cache only, under django-ratelimit's hash."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    return usage is not None and (usage["should_limit"] or usage["count"] >= usage["limit"])
