"""Reading a page as a Spanish-speaking respondent does: every text and every label a
screen reader says, less what is marked as another language or as a name."""

import re
from html.parser import HTMLParser

from tests.pages import VOID

# Common English words that are not Spanish ones ("no", "me", "a", "error", "personal"
# are both, and left out): one of them in a Spanish page's text is an untranslated message.
ENGLISH_ONLY = frozenset(
    """the and your you this that with for are is of to in on at by from or if it be we
    our will not can what who how page please answer answers question questions save
    continue back next submit start link role staff here thank thanks later finish know
    don't agree disagree strongly neither nor apply closed found security check try again
    wait moment privacy anonymous people group results facility copy skip main
    content language""".split()
)
# What a screen reader reads out besides the text.
SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


class _Texts(HTMLParser):
    """Texts of the page, each with the language it is marked as (``lang``), skipping
    scripts, styles and what is marked ``translate="no"`` (names)."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None, bool]] = []  # (tag, lang, skipped)
        self.texts: list[tuple[str | None, str]] = []

    def _lang(self) -> str | None:
        return next((lang for _, lang, _ in reversed(self.stack) if lang), None)

    def _skipped(self) -> bool:
        return any(skipped for _, _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = tag in ("script", "style", "template") or attrs.get("translate") == "no"
        if tag not in VOID:
            self.stack.append((tag, attrs.get("lang"), skipped))
        if not self._skipped() and not (tag in VOID and skipped):
            lang = attrs.get("lang") or self._lang()
            for name in SPOKEN_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append((lang, attrs[name]))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                break

    def handle_data(self, data):
        if data.strip() and not self._skipped():
            self.texts.append((self._lang(), data))


def english_words(html: str, *, names=()) -> set[str]:
    """The English words in what the page says in its own language (the ``lang`` of
    <html>), once the proper ``names`` (a facility's, a round's) are taken out."""
    parser = _Texts()
    parser.feed(html)
    page_language = re.search(r'<html lang="([^"]+)"', html).group(1)
    found = set()
    for lang, text in parser.texts:
        if lang not in (None, page_language):
            continue  # marked as another language, such as "English" in the switcher
        for name in names:
            text = text.replace(name, " ")
        found |= set(re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())) & ENGLISH_ONLY
    return found
