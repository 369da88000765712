"""Which language a respondent reads the questionnaire in.

Respondents have no session and no language cookie: the language comes from the
address (``?lang=``, the switcher's links), then from what the respondent last chose
(stored with them, so that their personal link reopens in it), then from the browser's
preferred languages. Only languages the round's instrument has every text in are
offered, so that no page mixes two languages (services/instrument/ refuses an
incomplete translation).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

# The address parameter of the switcher's links (middleware.LanguageFromAddress).
PARAMETER = "lang"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as the switcher shows it


def site_languages() -> list[Language]:
    return [Language(code, name) for code, name in settings.LANGUAGES]


def offered(instrument) -> list[Language]:
    """The site's languages that this instrument version has its texts in."""
    return [
        language
        for language in site_languages()
        if language.code == settings.LANGUAGE_CODE or language.code in instrument.translations
    ]


def choose(request, instrument, *, stored: str = "") -> str:
    """The language to show a respondent: asked for in the address, else the one they
    last chose, else the browser's, else the site's; always one the instrument offers."""
    codes = [language.code for language in offered(instrument)]
    for candidate in (request.GET.get(PARAMETER), stored):
        if candidate in codes:
            return candidate
    from_browser = translation.get_language_from_request(request)
    return from_browser if from_browser in codes else settings.LANGUAGE_CODE


def use(request, language: str) -> None:
    """Show this response in the language (LocaleMiddleware's Content-Language follows)."""
    translation.activate(language)
    request.LANGUAGE_CODE = language


def posted(request, instrument, *, fallback: str) -> str:
    """The language a respondent's form asks for (the start page's hidden field, or the
    switcher's button on a questionnaire page), if the instrument offers it."""
    asked = request.POST.get("language")
    codes = [language.code for language in offered(instrument)]
    return asked if asked in codes else fallback


def switcher(instrument, current: str) -> list[dict]:
    """The switcher's choices on a respondent's page: each language the instrument
    offers, with this page's address in it. Empty when there is nothing to switch to."""
    return address_choices(offered(instrument), current)


def address_choices(choices: list[Language], current: str) -> list[dict]:
    """Links to this page in each of ``choices`` (for pages of no instrument, such as
    an error page, every language of the site)."""
    if len(choices) < 2:
        return []
    return [
        {
            "code": language.code,
            "name": language.name,
            "current": language.code == current,
            # Relative to this page: its path is never written out, so no address
            # (such as "//elsewhere" in a 404's path) can make the link lead away.
            "url": f"?{PARAMETER}={language.code}",
        }
        for language in choices
    ]
