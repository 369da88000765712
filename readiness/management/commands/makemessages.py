"""Django's makemessages over what respondents read: ``manage.py makemessages -l es``.

The message catalogues cover the respondents' pages and what staff hand out to them
(the link's message, the flyer), and nothing else: a catalogue is complete or its pages
show two languages (tests/test_translations.py), and staff pages may stay in English
until a language translates them all. Staff pages' words are wrapped all the same, so
adding them here later is the only change (docs/translating.md).
"""

import os
from fnmatch import fnmatch

from django.core.management.commands import makemessages

# Relative to the project folder, where the command runs.
RESPONDENT_SOURCES = [
    "templates/base.html",
    "templates/404.html",
    "templates/questionnaire/*.html",
    "templates/errors/*.html",
    "templates/languages/*.html",
    "templates/facilities/round_flyer.html",
    "readiness/views/questionnaire/*.py",
    "readiness/forms/questionnaire.py",
    "readiness/services/responses.py",
    "readiness/hand_out.py",
]


def is_respondent_source(path: str) -> bool:
    path = os.path.normpath(path)
    return any(fnmatch(path, pattern) for pattern in RESPONDENT_SOURCES)


class Command(makemessages.Command):
    def find_files(self, root):
        return [found for found in super().find_files(root) if is_respondent_source(found.path)]
