"""The questionnaire in Spanish (docs/translating.md): complete catalogues that match
their compiled form, every text of the current instrument translated and plain, the
language a respondent chose kept with them, no English on a Spanish page, and counts
by language on the dashboard under the small-group rules."""

import copy
import re
from html import unescape

import polib
import pytest
import textstat
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from readiness.disclosure import LANGUAGES_WITHDRAWN, language_hiding, languages_shown
from readiness.forms.questionnaire import answer_choices
from readiness.management.files import read_json
from readiness.models import Answer, Instrument, Respondent, Role, RoundRelease, new_token
from readiness.pages import questionnaire_pages
from readiness.services import responses
from readiness.services.facilities import close_round, open_round
from readiness.services.instrument import export_instrument, load_instrument
from tests.clients import Client as StaffClient
from tests.conftest import ROOT
from tests.pages import element, elements, table, text_of
from tests.translations import english_words

NEW = ROOT / "fixtures" / "instrument-2027.1.json"
OLD = ROOT / "fixtures" / "instrument.json"
LOCALE = ROOT / "readiness" / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|<[^>]+>")
# The same method as the English target (tests/test_instrument_2027.py): topic words no
# plain synonym replaces count as one short word.
TOPIC_WORDS = re.compile(r"\b(inmigraci[oó]n|inmigrantes?|migratori[oa]s?)\b", re.IGNORECASE)
# Fernández-Huerta 60 and up: "normal" or easier, US grades 8 to 9 at most; the English
# target is grade 8 (docs/instrument.md, Spanish).
MIN_FERNANDEZ_HUERTA = 60


# --- The catalogues ----------------------------------------------------------------------


def test_there_is_a_spanish_catalogue_of_what_respondents_read():
    assert [path.parts[-3] for path in CATALOGUES] == ["es"]
    catalogue = polib.pofile(str(CATALOGUES[0]))
    msgids = {entry.msgid for entry in catalogue}
    assert {"Save and continue", "Strongly disagree", "Your personal link"} <= msgids


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_message_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))
    assert not catalogue.metadata_is_fuzzy
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    for entry in catalogue.translated_entries():
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in translations:
            # the same placeholders and tags, or a page would lose a name or a number
            assert sorted(PLACEHOLDER.findall(text)) == sorted(
                PLACEHOLDER.findall(entry.msgid_plural or entry.msgid)
            ) or sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid))


def compiled(entries) -> dict:
    return {
        (entry.msgctxt, entry.msgid): (
            tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
        )
        for entry in entries
        if entry.msgid  # the header
    }


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_the_committed_compiled_catalogue_matches_its_source(path):
    """A fresh clone needs no GNU gettext: the .mo files are committed, so they must say
    what the .po files say (`make messages` compiles them)."""
    source = compiled(polib.pofile(str(path)).translated_entries())
    assert compiled(polib.mofile(str(path.with_suffix(".mo")))) == source


# --- The instrument's texts --------------------------------------------------------------


@pytest.fixture
def both_versions(db):
    load_instrument(data=read_json(OLD))
    return load_instrument(data=read_json(NEW)).instrument


def test_every_text_a_respondent_reads_of_the_current_instrument_is_in_spanish(both_versions):
    current = Instrument.current()
    assert current == both_versions and current.version == "2027.1"
    assert current.in_language("title", "es") != current.title
    objects = {
        "name": list(current.roles.all()),
        "intro": list(current.domains.all()),
        "explanation": [d for domain in current.domains.all() for d in domain.determinants.all()],
        "text": [
            item
            for domain in current.domains.all()
            for d in domain.determinants.all()
            for item in d.items.all()
        ],
    }
    assert [len(objects[field]) for field in ("name", "intro", "explanation", "text")] == [
        12,
        6,
        13,
        59,
    ]
    for field, group in objects.items():
        for obj in group:
            spanish = obj.translations["es"][field]
            assert spanish.strip() and spanish != getattr(obj, field), (obj.code, field)
            assert obj.in_language(field, "es") == spanish
            assert obj.in_language(field, "en") == getattr(obj, field)
    for obj in objects["intro"] + objects["explanation"]:
        assert obj.translations["es"]["name"] != obj.name, obj.code
    for value, label in answer_choices(current):
        with translation.override("es"):
            spanish = str(label)
        with translation.override("en"):
            assert spanish != str(label), value


def fernandez_huerta(text: str) -> float:
    textstat.set_lang("es")
    try:
        return textstat.fernandez_huerta(TOPIC_WORDS.sub("ICE", text))
    finally:
        textstat.set_lang("en_US")


def test_spanish_statements_explanations_and_introductions_read_easily():
    spanish = read_json(NEW)["translations"]["es"]
    texts = dict(spanish["items"])
    texts |= {code: det["explanation"] for code, det in spanish["determinants"].items()}
    texts |= {code: domain["intro"] for code, domain in spanish["domains"].items()}
    assert len(texts) == 59 + 13 + 6
    too_hard = {code: fernandez_huerta(text) for code, text in texts.items()}
    assert {code: score for code, score in too_hard.items() if score < MIN_FERNANDEZ_HUERTA} == {}
    # the measure moves: a hard sentence fails it
    assert (
        fernandez_huerta(
            "La implementación institucional de procedimientos administrativos "
            "interdisciplinarios requiere coordinación organizacional considerable."
        )
        < MIN_FERNANDEZ_HUERTA
    )


def test_spanish_statements_keep_the_impersonal_referent():
    for code, text in read_json(NEW)["translations"]["es"]["items"].items():
        words = set(re.findall(r"[^\W\d_]+", text.lower()))
        assert not {"yo", "nosotros", "nosotras", "nuestro", "nuestra", "mi", "mis"} & words, code


# --- Loading and exporting translations ---------------------------------------------------


def refused(data) -> str:
    before = Instrument.objects.count()
    with pytest.raises(ValidationError) as raised:
        load_instrument(data=data)
    assert Instrument.objects.count() == before  # nothing written
    return " ".join(raised.value.messages)


def test_an_incomplete_translation_is_refused_naming_the_item_and_language(db):
    data = read_json(NEW)
    data["version"] = "2027.1-test"
    missing_item = copy.deepcopy(data)
    del missing_item["translations"]["es"]["items"]["LEGAL-9"]
    assert refused(missing_item) == "translation 'es': item LEGAL-9 has no text"
    blank = copy.deepcopy(data)
    blank["translations"]["es"]["determinants"]["CUSTODY"]["explanation"] = "  "
    assert refused(blank) == "translation 'es': determinant CUSTODY has no explanation"
    no_role = copy.deepcopy(data)
    del no_role["translations"]["es"]["roles"]["security"]
    assert refused(no_role) == "translation 'es': role security has no name"
    unknown = copy.deepcopy(data)
    unknown["translations"]["es"]["items"]["LEGAL-99"] = "Texto"
    assert "unknown item codes ['LEGAL-99']" in refused(unknown)
    other_language = copy.deepcopy(data)
    other_language["translations"]["fr"] = other_language["translations"]["es"]
    assert "translation 'fr': not a language of this site" in refused(other_language)
    assert load_instrument(data=data).created  # the complete file loads


def test_export_includes_the_translations_and_loads_elsewhere(both_versions):
    exported = export_instrument(both_versions)
    assert exported["translations"] == read_json(NEW)["translations"]
    exported["version"] = "2027.1-copy"
    copied = load_instrument(data=exported).instrument
    legal_9 = both_versions.domains.get(code="RULES").determinants.get(code="LEGAL").items
    original = legal_9.get(code="LEGAL-9")
    again = (
        copied.domains.get(code="RULES").determinants.get(code="LEGAL").items.get(code="LEGAL-9")
    )
    assert again.in_language("text", "es") == original.in_language("text", "es")


def test_translations_added_to_a_loaded_version_are_taken_as_a_correction(db):
    """Sites that loaded 2027.1 before it had Spanish get it from `load_instrument`,
    since a translation changes no answer's meaning."""
    without = read_json(NEW)
    del without["translations"]
    instrument = load_instrument(data=without).instrument
    assert instrument.translations == {}
    result = load_instrument(data=read_json(NEW))
    assert result.corrected and result.instrument.pk == instrument.pk
    instrument.refresh_from_db()
    assert instrument.translations["es"]["title"] == read_json(NEW)["translations"]["es"]["title"]
    nurse = Role.objects.get(instrument=instrument, code="nurse")
    assert nurse.in_language("name", "es") == "Enfermero o enfermera"


# --- What a respondent sees -----------------------------------------------------------------


@pytest.fixture
def spanish_round(facility, both_versions):
    return open_round(facility=facility, label="Spring 2026")


def start_url(round_, query=""):
    return reverse("respondent-start", args=[round_.link_token]) + query


def page_url(token, number, query=""):
    return reverse("respondent-page", args=[token, number]) + query


def begin(client, round_, language, role="nurse", nonce="n" * 30):
    role_id = Role.objects.get(instrument=round_.instrument, code=role).pk
    response = client.post(
        start_url(round_), {"role": role_id, "nonce": nonce, "language": language}
    )
    assert response.status_code == 302
    return re.search(r"/a/([A-Za-z0-9_-]+)/page/1/", response["Location"]).group(1)


def html_language(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def names(round_) -> tuple[str, ...]:
    return (round_.facility.name, round_.label, "Readiness")


def test_the_start_page_follows_the_browsers_language(spanish_round):
    response = Client().get(start_url(spanish_round), **SPANISH)
    html = response.content.decode()
    assert html_language(html) == "es" and response["Content-Language"] == "es"
    assert element(html, "id_role_1") is not None
    nurse = Role.objects.get(instrument=spanish_round.instrument, code="nurse")
    assert f">{nurse.translations['es']['name']}</label>" in html
    hidden = [a for t, a in elements(html, "main") if t == "input" and a.get("name") == "language"]
    assert [a["value"] for a in hidden] == ["es"]
    english = Client().get(start_url(spanish_round), **ENGLISH).content.decode()
    assert html_language(english) == "en"


def test_the_switcher_links_to_the_page_in_each_language(spanish_round):
    html = Client().get(start_url(spanish_round), **SPANISH).content.decode()
    links = [a for t, a in elements(html, "main") if t == "a" and "data-language" in a]
    assert links == []  # the switcher is in the header, not in the questionnaire
    switcher = [a for t, a in all_elements(html) if t == "a" and "data-language" in a]
    assert [(a["lang"], a["href"]) for a in switcher] == [("en", "?lang=en")]
    english = Client().get(start_url(spanish_round, "?lang=en"), **SPANISH).content.decode()
    assert html_language(english) == "en"


def test_no_address_makes_the_switcher_lead_to_another_site(db):
    """The links are relative to the page, never its path written out: a 404 for
    "//elsewhere.example/x" links to "?lang=en", not to elsewhere.example."""
    for path in ("/%2Felsewhere.example/x", "/%5Celsewhere.example/x"):
        response = Client().get(path, **SPANISH)
        assert response.status_code == 404
        html = response.content.decode()
        switcher = [a for t, a in all_elements(html) if "data-language" in a]
        assert [a["href"] for a in switcher] == ["?lang=en"]


def all_elements(html):
    """Every start tag of the page, as (tag, attributes)."""
    from html.parser import HTMLParser

    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Tags().feed(html)
    return found


def legends(html) -> list[str]:
    """The statements of a questionnaire page, as read."""
    found = re.findall(r'<legend class="item-text">(.*?)</legend>', html)
    return [" ".join(unescape(text).split()) for text in found]


def test_the_questionnaire_is_in_the_language_chosen_and_the_personal_link_keeps_it(
    spanish_round,
):
    client = Client()
    token = begin(client, spanish_round, "es")
    respondent = responses.find_respondent(token)
    assert respondent.language == "es"
    html = client.get(page_url(token, 1), **ENGLISH).content.decode()
    assert html_language(html) == "es"
    page = questionnaire_pages(spanish_round.instrument, "nurse")[0]
    assert legends(html) == [item.translations["es"]["text"] for item in page.items]
    resumed = client.get(reverse("respondent-resume", args=[token]), **ENGLISH, follow=True)
    assert html_language(resumed.content.decode()) == "es"


def test_switching_language_mid_way_keeps_every_answer(spanish_round):
    client = Client()
    token = begin(client, spanish_round, "es")
    items = questionnaire_pages(spanish_round.instrument, "nurse")[1].items
    answered = {f"item-{item.code}": "2" for item in items[:3]}
    response = client.post(page_url(token, 2), {**answered, "language": "en"})
    assert response.status_code == 302 and response["Location"] == page_url(token, 2)
    assert Respondent.objects.get().language == "en"
    saved = dict(Answer.objects.values_list("item__code", "value"))
    assert saved == {item.code: 2 for item in items[:3]}
    html = client.get(response["Location"], **SPANISH).content.decode()
    assert html_language(html) == "en"
    assert legends(html) == [item.text for item in items]
    checked = re.findall(r'name="item-([\w-]+)" value="2"[^>]* checked', html)
    assert checked == [item.code for item in items[:3]]
    # back to Spanish, still with them; an unknown language changes nothing
    client.post(page_url(token, 2), {"language": "es"})
    client.post(page_url(token, 2), {"language": "xx"})
    assert Respondent.objects.get().language == "es"
    assert Answer.objects.count() == 3


def test_a_version_without_spanish_is_shown_in_english_only(facility, instrument):
    round_ = open_round(facility=facility, label="Old")
    html = Client().get(start_url(round_), **SPANISH).content.decode()
    assert html_language(html) == "en"
    assert not [a for t, a in all_elements(html) if "data-language" in a]
    token = begin(Client(), round_, "es")
    assert responses.find_respondent(token).language == "en"


# Every page a Spanish-speaking respondent may see, and no English word on any.


def visit_every_respondent_page(client, round_):
    """(name, response) of each respondent page in Spanish, in the order met."""
    pages = []
    start = client.get(start_url(round_), **SPANISH)
    pages.append(("start", start))
    nonce = re.search(r'name="nonce" value="([^"]+)"', start.content.decode()).group(1)
    no_role = client.post(start_url(round_), {"nonce": nonce, "language": "es"})
    pages.append(("start without a role", no_role))
    role_id = Role.objects.get(instrument=round_.instrument, code="security").pk
    started = client.post(start_url(round_), {"role": role_id, "nonce": nonce, "language": "es"})
    token = re.search(r"/a/([A-Za-z0-9_-]+)/page/1/", started["Location"]).group(1)
    pages.append(("first page", client.get(started["Location"])))
    pages.append(("unanswered", client.post(page_url(token, 1), {"direction": "next"})))
    later = client.post(page_url(token, 1), {"direction": "later"})
    pages.append(("finish later", client.get(later["Location"])))
    role_pages = questionnaire_pages(round_.instrument, "security")
    for page in role_pages:
        data = {f"item-{item.code}": "4" for item in page.items}
        saved = client.post(page_url(token, page.number), {**data, "direction": "next"})
        pages.append((f"page {page.number + 1}", client.get(saved["Location"])))
    again = client.post(start_url(round_), {"role": role_id, "nonce": nonce, "language": "es"})
    pages.append(("start form used", again))
    return token, pages


@pytest.fixture
def missing_messages(monkeypatch):
    """Messages looked up in Spanish that no catalogue has, ours or Django's: a wrapped
    message left out of readiness/locale would show in English."""
    from django.utils.translation.trans_real import DjangoTranslation

    missing = []
    gettext, ngettext = DjangoTranslation.gettext, DjangoTranslation.ngettext

    def looked_up(self, message):
        if self.language() == "es" and message and message not in self._catalog:
            missing.append(message)
        return gettext(self, message)

    def looked_up_plural(self, singular, plural, number):
        if self.language() == "es" and (singular, 0) not in self._catalog:
            missing.append(singular)
        return ngettext(self, singular, plural, number)

    monkeypatch.setattr(DjangoTranslation, "gettext", looked_up)
    monkeypatch.setattr(DjangoTranslation, "ngettext", looked_up_plural)
    return missing


def test_the_missing_message_detector_finds_one(spanish_round, missing_messages):
    with translation.override("es"):
        assert translation.gettext("Save and continue") == "Guardar y seguir"
        assert translation.gettext("A message nobody translated") == "A message nobody translated"
    assert missing_messages == ["A message nobody translated"]


def english_texts(instrument) -> set[str]:
    """The instrument's English texts a respondent reads, which a Spanish page never
    shows (a word list cannot tell "Front desk or registration" is English)."""
    texts = {instrument.title}
    texts |= {role.name for role in instrument.roles.all()}
    for domain in instrument.domains.prefetch_related("determinants__items"):
        texts |= {domain.name, domain.intro}
        for determinant in domain.determinants.all():
            texts |= {determinant.name, determinant.explanation}
            texts |= {item.text for item in determinant.items.all()}
    return texts


def test_no_english_on_any_spanish_respondent_page(spanish_round, settings, missing_messages):
    client = Client()
    token, pages = visit_every_respondent_page(client, spanish_round)
    assert pages[-2][1].request["PATH_INFO"] == reverse("respondent-done", args=[token])
    other = Client(enforce_csrf_checks=True)
    other_token = begin(Client(), spanish_round, "es", nonce="o" * 30)
    pages.append(("security check", other.post(page_url(other_token, 1), {"direction": "next"})))
    pages.append(
        ("start's security check", other.post(start_url(spanish_round), {"language": "es"}))
    )
    pages.append(("unknown link", client.get(page_url("x" * 43, 1), **SPANISH)))
    pages.append(("unknown short link", client.get("/s/bbbb-bbbb-bbbb/", **SPANISH)))
    # refused before the respondent's page runs, yet in their language, whatever the
    # browser prefers
    too_large = client.post(
        page_url(other_token, 1),
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(300 * 1024),
        **ENGLISH,
    )
    pages.append(("too large", too_large))
    settings.RESPONDENT_RATE = "1/m"
    client.post(page_url(other_token, 1), {"direction": "later"}, **ENGLISH)
    busy = client.post(page_url(other_token, 1), {"direction": "later"}, **ENGLISH)
    pages.append(("too many saves", busy))
    settings.RESPONDENT_STARTS_PER_ADDRESS = "1/h"
    client.post(start_url(spanish_round), {"language": "es"})
    pages.append(("too many", client.post(start_url(spanish_round), {"language": "es"}, **SPANISH)))
    close_round(round_=spanish_round)
    pages.append(("closed", client.get(page_url(other_token, 1))))
    statuses = {name: response.status_code for name, response in pages}
    assert statuses["unanswered"] == 200 and statuses["security check"] == 403
    assert statuses["unknown link"] == 404 and statuses["unknown short link"] == 404
    assert statuses["too many"] == 429 and statuses["closed"] == 410
    assert statuses["too large"] == 413 and statuses["too many saves"] == 429
    assert statuses["start form used"] == 409
    assert text_of(pages[1][1].content.decode(), "role-error")  # "choose your role"
    english = english_texts(spanish_round.instrument)
    for name, response in pages:
        html = response.content.decode()
        assert html_language(html) == "es", name
        assert english_words(html, names=names(spanish_round)) == set(), name
        text = " ".join(unescape(html).split())
        assert [phrase for phrase in english if phrase and phrase in text] == [], name
    assert missing_messages == []


def test_the_english_detector_finds_an_untranslated_message(spanish_round):
    html = Client().get(start_url(spanish_round), **SPANISH).content.decode()
    assert english_words(html.replace("</main>", "<p>Save and continue</p></main>")) == {
        "save",
        "and",
        "continue",
    }
    # marked as English, or as a name, it is not English on a Spanish page
    marked = '<p lang="en">Save and continue</p><p translate="no">The Clinic</p></main>'
    assert english_words(html.replace("</main>", marked)) == set()


def test_the_english_detector_sees_an_english_page(spanish_round):
    html = Client().get(start_url(spanish_round), **ENGLISH).content.decode()
    found = english_words(html.replace('<html lang="en"', '<html lang="es"'))
    assert {"your", "the", "start", "role"} <= found


# --- Handing out the link in both languages -------------------------------------------------


def test_the_message_and_the_flyer_exist_in_spanish_and_open_the_spanish_questionnaire(
    spanish_round, owner
):
    # A link's letters are not words: a short code that spells English ones (as a random
    # code sometimes does) must not read as an untranslated message.
    spanish_round.short_code = "the2and2by22"  # shown as the2-and2-by22
    spanish_round.save(update_fields=["short_code"])
    client = StaffClient()
    client.force_login(owner)
    args = [spanish_round.facility.slug, spanish_round.pk]
    html = client.get(reverse("round-hand-out", args=args)).content.decode()
    short_url = "http://testserver" + spanish_round.short_link()
    english_message = text_of(html, "hand-out-message-en")
    spanish_message = text_of(html, "hand-out-message-es")
    assert element(html, "hand-out-message-es")["lang"] == "es"
    assert short_url in english_message.split()
    assert short_url + "?lang=es" in spanish_message.split()
    assert "anónima" in spanish_message.split() or "anónima:" in spanish_message.split()
    message_html = f'<html lang="es"><p>{spanish_message.replace(short_url, "")}</p></html>'
    assert english_words(message_html, names=names(spanish_round)) == set()
    flyer_url = element(html, "flyer-open-es")["href"]
    flyer = client.get(flyer_url).content.decode()
    assert html_language(flyer) == "en"  # the page around the flyer is the reader's
    assert element(flyer, "flyer-title") is not None
    article = flyer[flyer.index('<article class="flyer"') : flyer.index("</article>")]
    assert 'lang="es"' in article.split(">")[0]
    # the link under the QR code is marked not to be translated; its spoken label says
    # it within a Spanish sentence
    assert element(flyer, "flyer-link")["translate"] == "no"
    article_names = (*names(spanish_round), spanish_round.short_link())
    flyer_text = f'<html lang="es">{article}</article></html>'
    assert english_words(flyer_text, names=article_names) == set()
    svg = [a for t, a in elements(flyer, "flyer-qr") if t == "svg"][0]
    assert short_url + "?lang=es" in svg["aria-label"]
    # the Spanish message's link leads to the Spanish start page, whatever the browser says
    opened = Client().get(short_url + "?lang=es", **ENGLISH, follow=True)
    assert opened.redirect_chain[-1][0] == start_url(spanish_round, "?lang=es")
    assert html_language(opened.content.decode()) == "es"


def test_staff_pages_have_the_language_switcher_too(owner, facility):
    client = StaffClient()
    client.force_login(owner)
    html = client.get(reverse("facility-list")).content.decode()
    assert html_language(html) == "en"
    buttons = [a for t, a in all_elements(html) if t == "button" and "data-language" in a]
    assert [(b["name"], b["value"], b["lang"]) for b in buttons] == [("language", "es", "es")]
    response = client.post(
        reverse("set_language"), {"language": "es", "next": reverse("facility-list")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("facility-list")
    spanish = client.get(reverse("facility-list"))
    html = spanish.content.decode()
    assert html_language(html) == "es" and spanish["Content-Language"] == "es"
    with translation.override("es"):
        link = translation.gettext("Your facilities")
    assert link != "Your facilities" and f">{link}</a>" in html  # the header's link
    buttons = [a for t, a in all_elements(html) if t == "button" and "data-language" in a]
    assert [(b["value"], b["lang"]) for b in buttons] == [("en", "en")]


# --- How many answered in each language ------------------------------------------------------


def finish(round_, language: str, count: int, role="nurse"):
    """``count`` respondents of the role who answer every page in the language."""
    pages = questionnaire_pages(round_.instrument, role)
    role_ = Role.objects.get(instrument=round_.instrument, code=role)
    for _ in range(count):
        started = responses.start_respondent(
            round_=round_, role=role_, nonce=new_token(), language=language
        )
        for page in pages:
            responses.save_page(
                respondent=started.respondent,
                page=page.number,
                answers={item.pk: (Answer.Kind.SCALE, 4) for item in page.items},
                finish=page.number == len(pages),
            )


def language_counts(client, round_) -> dict:
    args = [round_.facility.slug, round_.pk]
    html = client.get(reverse("round-dashboard", args=args)).content.decode()
    rows = table(html, "language-table")
    assert rows.pop("Language", ["People"]) == ["People"]  # the header
    return {name: cells[0] for name, cells in rows.items()}


@pytest.fixture
def owner_client(owner):
    client = StaffClient()
    client.force_login(owner)
    return client


def test_the_dashboard_says_how_many_answered_in_each_language(
    facility, both_versions, owner_client
):
    round_ = open_round(facility=facility, label="Spring", publish_at_close=True)
    finish(round_, "en", 3)
    finish(round_, "es", 3, role="security")
    assert language_counts(owner_client, round_) == {}  # nothing published yet
    close_round(round_=round_)
    assert language_counts(owner_client, round_) == {"English": "3", "Español": "3"}


def test_a_language_of_fewer_than_three_is_never_shown_nor_worked_out(
    facility, both_versions, owner_client
):
    round_ = open_round(facility=facility, label="Spring", publish_at_close=True)
    finish(round_, "en", 4)
    finish(round_, "es", 2)
    close_round(round_=round_)
    assert language_counts(owner_client, round_) == {
        "English": "3 or more (hidden to protect a smaller group)",
        "Español": "fewer than 3",
    }


def test_a_language_count_hidden_once_stays_hidden(facility, both_versions, owner_client):
    """Published in steps: the second step's one Spanish speaker is hidden, and the
    count stays hidden when more join, or the two versions would tell them apart."""
    round_ = open_round(facility=facility, label="Spring")
    finish(round_, "en", 3)
    # a row for every language, used or not: a hidden count never says it was used
    assert language_counts(owner_client, round_) == {"English": "3", "Español": "fewer than 3"}
    finish(round_, "es", 1)
    finish(round_, "en", 2)
    hidden = {
        "English": "3 or more (hidden to protect a smaller group)",
        "Español": "fewer than 3",
    }
    assert language_counts(owner_client, round_) == hidden
    finish(round_, "es", 3)
    assert language_counts(owner_client, round_) == {
        "English": "3 or more (hidden to protect a smaller group)",
        "Español": "3 or more (hidden to protect a smaller group)",
    }
    assert round_.release.aggregates["languages"] == {"en": 5, "es": 4}


def test_a_changed_translation_is_never_answered_from_a_kept_rendering():
    """Kept dashboards and network pages are keyed by the build (readiness/rendered.py),
    which includes the compiled catalogues."""
    from readiness import rendered

    names = {name for name, _path in rendered.sources()}
    assert "readiness/locale/es/LC_MESSAGES/django.mo" in names
    assert "templates/questionnaire/page.html" in names


def release_of(counts: dict, *, hidden=()) -> RoundRelease:
    return RoundRelease(
        respondents=sum(counts.values()),
        aggregates={"languages": counts},
        hidden_languages=list(hidden),
    )


def shown(release, offered=("en", "es")) -> dict:
    return {
        count.code: count.respondents
        for count in languages_shown(release, 3, offered=list(offered))
    }


def test_people_imported_from_a_file_never_stand_in_for_a_small_language():
    """Owners know how many they imported: 26 people, 5 imported and 20 in English
    would give the one in Spanish."""
    assert shown(release_of({"en": 20, "es": 1, "": 5})) == {"en": None, "es": None}
    assert shown(release_of({"en": 20, "es": 4, "": 2})) == {"en": 20, "es": 4}
    # mostly on paper: too few answered online to say anything
    assert shown(release_of({"en": 2, "": 30})) == {}
    # results kept before languages were counted show none, nor do counts that do not
    # add up to the people in them
    assert shown(RoundRelease(respondents=12, aggregates={}, hidden_languages=[])) == {}
    partial = RoundRelease(respondents=12, aggregates={"languages": {"en": 5}}, hidden_languages=[])
    assert shown(partial) == {}
    # nor do they count when a new version decides what to hide
    assert language_hiding({"en": 20, "es": 4, "": 1}, 3, already=[], shown_before=set()) == []


def test_a_count_shown_once_is_never_hidden_later_the_counts_are_withdrawn():
    """With three languages a version can need to hide a count an earlier one showed:
    {en 10, es 3} then {en 12, es 3, pt 1} would hide es to protect pt, and es = 3 from
    the first version gives pt = 1. The counts go for good instead."""
    before = release_of({"en": 10, "es": 3, "pt": 0})
    offered = ("en", "es", "pt")
    assert shown(before, offered) == {"en": 10, "es": 3, "pt": None}
    hiding = language_hiding({"en": 12, "es": 3, "pt": 1}, 3, already=[], shown_before={"en", "es"})
    assert hiding == [LANGUAGES_WITHDRAWN]
    assert shown(release_of({"en": 12, "es": 3, "pt": 1}, hidden=hiding), offered) == {}
    assert language_hiding({"en": 20, "es": 9}, 3, already=hiding, shown_before=set()) == hiding
    # with two languages, protecting one hides both, for good: nothing to subtract
    assert language_hiding({"en": 12, "es": 4}, 3, already=[], shown_before={"en", "es"}) == []
    assert language_hiding({"en": 5, "es": 1}, 3, already=[], shown_before={"en"}) == ["en", "es"]


def test_an_expired_security_check_on_a_switch_comes_back_in_the_language_asked(spanish_round):
    token = begin(Client(), spanish_round, "es")
    first = questionnaire_pages(spanish_round.instrument, "nurse")[0].items[0]
    expired = Client(enforce_csrf_checks=True)
    response = expired.post(page_url(token, 1), {f"item-{first.code}": "3", "language": "en"})
    assert response.status_code == 403
    html = response.content.decode()
    assert html_language(html) == "en"
    # what was entered is back, and nothing is marked unanswered: a switch saves a part
    assert re.findall(r'name="item-([\w-]+)" value="3"[^>]* checked', html) == [first.code]
    assert "aria-invalid" not in html
    assert not Answer.objects.exists()
