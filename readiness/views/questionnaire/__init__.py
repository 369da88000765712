"""Pages for anonymous respondents.

No session and no cookie but the CSRF one: the respondent is known only by the personal
token in the address, so answers survive a closed browser, an expired session or a
change of device. A GET never writes, so a link preview or crawler creates nothing.
"""

from readiness.views.questionnaire.answering import done, page, resume
from readiness.views.questionnaire.recovering import (
    csrf_failure_page,
    csrf_failure_start,
    use_respondent_language,
)
from readiness.views.questionnaire.starting import short_link, start

__all__ = [
    "csrf_failure_page",
    "csrf_failure_start",
    "done",
    "page",
    "resume",
    "short_link",
    "start",
    "use_respondent_language",
]
