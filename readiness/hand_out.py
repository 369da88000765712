"""What administrators hand out to staff: the message to send and the flyer to print,
in each language the round's instrument offers (languages.offered). Their words are in
the respondents' catalogue, since staff read them as respondents (docs/translating.md)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from readiness import languages
from readiness.disclosure import min_group

# The start page says so (templates/questionnaire/start.html).
MINUTES_TO_ANSWER = 10


@dataclass(frozen=True)
class HandOut:
    language: languages.Language
    # The short link, opening the start page in this language whatever the browser
    # prefers: a message in Spanish leads to the questionnaire in Spanish.
    link: str
    message: str


def link_in(short_url: str, language: str) -> str:
    if language == settings.LANGUAGE_CODE:
        return short_url  # the browser's preference decides, as for a typed link
    return f"{short_url}?{languages.PARAMETER}={language}"


def hand_outs(round_, short_url: str) -> list[HandOut]:
    """The link and message in every language of the round's questionnaire."""
    result = []
    for language in languages.offered(round_.instrument):
        link = link_in(short_url, language.code)
        with translation.override(language.code):
            result.append(HandOut(language, link, message(round_, link)))
    return result


def qr_label(link: str) -> str:
    """What a screen reader says of the QR code, in the active language."""
    return _("QR code of the link %(url)s") % {"url": link}


def message(round_, link: str) -> str:
    """Plain text to paste into an e-mail or a text message, in the active language."""
    facility = round_.facility.name
    n = min_group(round_.facility)
    paragraphs = [
        _(
            "%(facility)s wants to know how ready it is to welcome and protect immigrant "
            "patients, and asks staff in every role for their view. The questionnaire "
            "takes about %(minutes)s minutes."
        )
        % {"facility": facility, "minutes": MINUTES_TO_ANSWER},
        ngettext(
            "It is anonymous: it never asks your name or e-mail, and %(facility)s sees "
            "only results from groups of at least %(n)s person.",
            "It is anonymous: it never asks your name or e-mail, and %(facility)s sees "
            "only results from groups of at least %(n)s people.",
            n,
        )
        % {"facility": facility, "n": n},
        _("Answer here, on your phone or any computer:") + "\n" + link,
        _("Please share this link only with colleagues at %(facility)s.") % {"facility": facility},
    ]
    return "\n\n".join(paragraphs)
