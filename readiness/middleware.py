"""Headers and session rules every response follows (docs/security.md)."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from readiness import languages
from readiness.services import two_factor
from readiness.views import questionnaire

# Features no page of Readiness uses; a page that never asks cannot be made to.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "usb",
    )
)
# Paths that carry a token: a respondent's personal or round link, an invitation, a
# password reset.
TOKEN_PATHS = ("/a/", "/r/", "/s/", "/invitations/", "/accounts/reset/")
# A signed-in person's session is saved again at most this often, so that it expires a
# working day after their last request without a write on every request.
ACTIVITY_EVERY = 15 * 60
LAST_SEEN = "readiness_last_seen"


class CompressPages(GZipMiddleware):
    """Django's, except for prepared files (FileResponse): ZIP and XLSX are compressed
    already, and compressing a large CSV on the way out would hold a worker for the whole
    transfer, drop its length (so the browser cannot show progress) and stop the file
    from being sent by the operating system."""

    def process_response(self, request, response):
        if isinstance(response, FileResponse):
            return response
        return super().process_response(request, response)


HEALTH_PATH = "/health/"


def health_check(get_response):
    """GET /health/ for load balancers and process managers: 200 when this process can
    reach the database and the cache, 503 otherwise. First of all middleware, so that it
    answers whatever Host header the balancer sends and over plain HTTP inside the
    private network, and so that it reads no session, writes nothing and logs nothing
    (no secret, no count) that a visitor could learn from."""

    def middleware(request):
        if request.path_info != HEALTH_PATH:
            return get_response(request)
        checks = {"database": _database_answers(), "cache": _cache_answers()}
        healthy = all(checks.values())
        response = JsonResponse(
            {"status": "ok" if healthy else "unavailable"}
            | {name: "ok" if ok else "failing" for name, ok in checks.items()},
            status=200 if healthy else 503,
        )
        add_never_cache_headers(response)
        return response

    return middleware


def _database_answers() -> bool:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 (any failure is "failing", said as such)
        return False


def _cache_answers() -> bool:
    from django.core.cache import cache

    try:
        cache.get("readiness-health")
        return True
    except Exception:  # noqa: BLE001
        return False


def language_from_address(get_response):
    """A language asked for in the address (``?lang=es``, the respondents' switcher,
    who have no language cookie) wins over the browser's; after LocaleMiddleware, so
    that its Content-Language header follows. Respondent pages may narrow it further to
    the languages of their instrument (languages.choose)."""
    codes = {code for code, _name in settings.LANGUAGES}

    def middleware(request):
        asked = request.GET.get(languages.PARAMETER)
        if asked in codes:
            languages.use(request, asked)
        return get_response(request)

    return middleware


def security_headers(get_response):
    """Permissions-Policy everywhere; nothing a signed-in person sees is stored by a
    browser or a proxy (a shared ward computer's back button, a cache on the way); and
    respondents' pages send no more than our own address as the Referer, not even to our
    own static files, so that a personal link never leaves the address bar."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        if request.path_info.startswith(TOKEN_PATHS):
            # Only "https://host/", never the path that holds the token. Not
            # "no-referrer": under it browsers send "Origin: null" with a form's POST,
            # which Django's CSRF protection rightly refuses.
            response["Referrer-Policy"] = "strict-origin"
        return response

    return middleware


def session_activity(get_response):
    """Sessions of signed-in staff end SESSION_COOKIE_AGE after their last request (a
    working day) and when the browser closes (SESSION_EXPIRE_AT_BROWSER_CLOSE): the
    session is saved again, moving its end, once every ACTIVITY_EVERY seconds."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(LAST_SEEN, 0) >= ACTIVITY_EVERY:
                request.session[LAST_SEEN] = now
        return get_response(request)

    return middleware


# What someone who must set up two-step sign-in can still reach before they have: the
# set-up itself, signing out, the help pages, and the pages of links that need no account.
TWO_FACTOR_OPEN_PATHS = ("/accounts/two-factor/", "/accounts/logout/", "/help/", "/static/")


def two_factor_required(get_response):
    """Every signed-in request: a session that passed the second step keeps counting only
    while the app or recovery codes it passed with still exist (an operator's reset, or
    the person turning it off, ends it everywhere). A session without the second step
    for an account that has an app (one that began before the app was set up elsewhere)
    is signed out, whatever the page. Owners, partner members and network leaders without
    an app reach nothing but the set-up (TWO_FACTOR_OPEN_PATHS) until they have one."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return get_response(request)
        passed = two_factor.session_device(request.session, user)
        if passed is two_factor.GONE:
            return _signed_out(request) or get_response(request)
        if passed is None:
            standing = two_factor.standing(user)
            if standing.has_app:
                return _signed_out(request) or get_response(request)
            if standing.required and not request.path_info.startswith(
                TWO_FACTOR_OPEN_PATHS + TOKEN_PATHS
            ):
                set_up = reverse("two-factor-set-up")
                if request.method == "GET":
                    set_up += "?" + urlencode({"next": request.get_full_path()})
                return redirect(set_up)
        return get_response(request)

    return middleware


def _signed_out(request):
    logout(request)
    if request.path_info.startswith(TOKEN_PATHS + ("/help/", "/static/")):
        return None  # go on as anyone else would: these pages need no account
    return redirect_to_login(request.get_full_path())


def seen_at_sign_in(sender, request, user, **kwargs):
    """Signing in counts as activity (user_logged_in), so that the first page after it
    does not write the session again."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


def request_size_limit(get_response):
    """Bodies over MAX_REQUEST_BYTES are refused from their Content-Length, before
    anything reads them: no page takes a file, and the largest form (a questionnaire
    page) is a few kilobytes. Bodies sent without a length meet Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE as they are read; a proxy in front should refuse them
    earlier (docs/security.md, Deploying)."""

    def middleware(request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            questionnaire.use_respondent_language(request, read_form=False)
            return render(request, "errors/too_large.html", status=413)
        return get_response(request)

    return middleware
