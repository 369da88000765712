from django.shortcuts import render
from django.urls import Resolver404, resolve

from readiness.views import questionnaire


def csrf_failure(request, reason=""):
    """Never a bare error page after a long form: respondents get their page back with
    what they entered; everyone else gets a plain explanation."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    response = None
    if match is not None and request.method == "POST":
        if match.url_name == "respondent-page":
            response = questionnaire.csrf_failure_page(request, **match.kwargs)
        elif match.url_name == "respondent-start":
            response = questionnaire.csrf_failure_start(request, **match.kwargs)
    if response is None:
        response = render(request, "errors/csrf_failure.html", status=403)
    return response


def rate_limited(request, exception=None):
    questionnaire.use_respondent_language(request)
    return render(request, "errors/rate_limited.html", status=429)
