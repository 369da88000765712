"""Instrument 2027.1 (fixtures/instrument-2027.1.json, docs/instrument.md): statements a
front-desk worker understands, items routed by role, no "does not apply" way to a higher
score, honest ERIC labels, the CFIR 2.0 map, and trends that compare only what carried
over from 2026.1."""

import copy
import io
import json
import re
from html.parser import HTMLParser

import pytest
import textstat
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse

from readiness import disclosure
from readiness.management.files import read_json
from readiness.models import (
    Answer,
    DeterminantScore,
    Facility,
    Instrument,
    Item,
    Respondent,
    Strategy,
)
from readiness.scoring import respondent_scores, score_round
from readiness.services.facilities import open_round
from readiness.services.imports import ImportRejected
from readiness.services.instrument import export_instrument, load_instrument
from tests.clients import Client
from tests.conftest import ROOT, full_answers, import_rows, routed_toy
from tests.pages import tags
from tests.respondents import page_url, start

NEW = ROOT / "fixtures" / "instrument-2027.1.json"
OLD = ROOT / "fixtures" / "instrument.json"

CFIR2_DOMAINS = {"Innovation", "Outer Setting", "Inner Setting", "Individuals"}
CFIR2_DOMAINS |= {"Implementation Process"}
# The topic words no plain synonym replaces are measured as a one-syllable word, the
# review's method (instrument-2026.1.md §4), so that the grade measures everything else.
TOPIC_WORDS = re.compile(r"\bimmigra(?:tion|nts?)\b", re.IGNORECASE)
MAX_GRADE = 8.0
MAX_PER_PAGE = 12


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(TOPIC_WORDS.sub("ICE", text))


@pytest.fixture(scope="module")
def document() -> dict:
    return read_json(NEW)


def determinants(document):
    return [det for domain in document["domains"] for det in domain["determinants"]]


def items(document):
    return [item for det in determinants(document) for item in det["items"]]


# --- The content -------------------------------------------------------------------------


def test_every_text_shown_to_respondents_is_at_most_grade_8(document):
    texts = [(item["code"], item["text"]) for item in items(document)]
    texts += [(det["code"], det["explanation"]) for det in determinants(document)]
    texts += [(domain["code"], domain["intro"]) for domain in document["domains"]]
    too_hard = {code: grade(text) for code, text in texts if grade(text) > MAX_GRADE}
    assert not too_hard


def test_pages_are_short_and_every_role_has_every_page(document):
    roles = {role["code"] for role in document["roles"]}
    for domain in document["domains"]:
        statements = [item for det in domain["determinants"] for item in det["items"]]
        assert len(statements) <= MAX_PER_PAGE, domain["code"]
        for role in roles:
            asked = [i for i in statements if not i.get("asked_of") or role in i["asked_of"]]
            assert asked, (domain["code"], role)


def test_no_does_not_apply_and_dont_know_counts_as_neutral(document):
    assert document["answer_options"] == ["scale", "dont_know"]
    assert document["dont_know_scoring"] == "neutral"


def test_one_referent_us_spelling_and_few_reverse_keyed_items(document):
    for item in items(document):
        words = re.findall(r"[A-Za-z']+", item["text"])
        assert not {"I", "we", "We", "our", "Our", "my", "My", "me"} & set(words), item
    everything = json.dumps(document)
    for british in ("organisation", "licence", "counselling", "practised", "behaviour"):
        assert british not in everything.lower(), british
    reverse = [item for item in items(document) if item["reverse_scored"]]
    assert len(reverse) <= len(items(document)) // 6


def test_every_determinant_and_item_is_mapped_to_cfir_2009_and_cfir_2(document):
    for domain in document["domains"]:
        assert domain["cfir2_domain"] in CFIR2_DOMAINS
        for det in domain["determinants"]:
            assert det["cfir_construct"] and det["cfir2_construct"], det["code"]
            assert det["cfir2_construct"].split(":")[0] in CFIR2_DOMAINS, det["code"]
            for item in det["items"]:
                assert item["cfir_construct"], item["code"]
                assert item["cfir2_construct"].split(":")[0] in CFIR2_DOMAINS, item["code"]


def test_strategies_say_how_they_relate_to_eric(document):
    linked = {det["code"]: 0 for det in determinants(document)}
    for strategy in document["strategies"]:
        assert strategy["eric_match"] in ("exact", "adapted", "component"), strategy["code"]
        assert bool(strategy["eric_strategy"]) == (strategy["eric_match"] != "component")
        for code in strategy["determinants"]:
            linked[code] += 1
    assert min(linked.values()) >= 2, linked


def test_changes_from_2026_1_are_declared_and_never_reuse_a_code(document):
    """A statement that kept its code kept its words; carried-over codes exist."""
    old = read_json(OLD)
    old_items = {item["code"]: item for item in items(old)}
    old_determinants = {det["code"] for det in determinants(old)}
    for item in items(document):
        if item["code"] in old_items:
            assert item["text"] == old_items[item["code"]]["text"], item["code"]
        if item.get("carries_over_from"):
            assert item["carries_over_from"] in old_items, item["code"]
    for det in determinants(document):
        if det.get("carries_over_from"):
            assert det["carries_over_from"] in old_determinants, det["code"]


# --- Loading, routing and scoring ---------------------------------------------------------


@pytest.fixture
def both(db):
    call_command("load_instrument", stdout=io.StringIO())
    return Instrument.objects.get(version="2026.1"), Instrument.objects.get(version="2027.1")


def test_load_instrument_loads_2027_1_beside_2026_1_and_new_rounds_use_it(both, facility):
    old, new = both
    assert Instrument.current() == new
    assert open_round(facility=facility, label="Next").instrument == new
    exported = export_instrument(new)
    assert exported["answer_options"] == ["scale", "dont_know"]
    first = exported["domains"][0]["determinants"][0]
    assert {"cfir_construct", "cfir2_construct", "carries_over_from"} <= set(first)
    assert {"cfir2_construct", "asked_of", "carries_over_from"} <= set(first["items"][0])
    assert {"eric_strategy", "eric_match"} <= set(exported["strategies"][0])


@pytest.fixture
def routed_round(db, facility):
    load_instrument(data=routed_toy())  # the current instrument, which new rounds use
    return open_round(facility=facility, label="Routed")


def test_without_does_not_apply_a_statement_has_no_column_for_it(routed_round):
    rows = [(person, "nurse", "COMMS-1", 4) for person in ("a", "b", "c")]
    rows += [("d", "nurse", "COMMS-1", "DK")]
    scores = score_round(import_rows(routed_round.facility, "R", rows).round)
    comms = next(d for d in scores.determinants if d.code == "COMMS")
    (statement,) = [s for s in comms.statements if s.role is None]
    assert statement.columns == [3, 0, 0, 1]  # agree, neutral, disagree, don't know


def test_a_role_is_not_shown_what_it_cannot_judge_and_finishes_without_it(routed_round):
    client = Client()
    token, _ = start(client, routed_round, role="security")
    page = client.get(page_url(token, 1)).content
    assert not tags(page, "input", name="item-COMMS-3")
    offered = {radio["value"] for radio in tags(page, "input", name="item-COMMS-1")}
    assert offered == {"1", "2", "3", "4", "5", "DK"}
    for number in (1, 2):
        items_ = Item.objects.filter(
            determinant__domain__instrument=routed_round.instrument,
            determinant__domain__position=number - 1,
        )
        data = {
            f"item-{item.code}": "2" if item.reverse_scored else "4"
            for item in items_
            if item.code != "COMMS-3"
        }
        data["direction"] = "next"
        assert client.post(page_url(token, number), data).status_code == 302
    respondent = Respondent.objects.get()
    assert respondent.is_finished
    assert not Answer.objects.filter(respondent=respondent, item__code="COMMS-3").exists()
    comms = DeterminantScore.objects.get(respondent=respondent, determinant__code="COMMS")
    assert comms.score == 75.0


def test_imports_refuse_statements_a_role_is_not_asked_and_does_not_apply(routed_round):
    with pytest.raises(ImportRejected) as refused:
        import_rows(
            routed_round.facility,
            "Routed",
            [("r1", "security", "COMMS-3", "4"), ("r1", "security", "COMMS-1", "NA")],
        )
    assert refused.value.errors == [
        "Line 2: item COMMS-3 is not asked of role 'security'.",
        "Line 3: value 'NA' is not an answer of instrument toy-routed (statements a role "
        "cannot judge are not asked of it).",
    ]
    assert not Respondent.objects.exists()


def _score(round_, answers: dict[str, str]) -> float:
    rows = [("p", "physician", code, value) for code, value in answers.items()]
    import_rows(round_.facility, round_.label, rows, replace=True)
    respondent = Respondent.objects.get(round=round_)
    (score,) = [s for s in respondent_scores([respondent.pk]) if s.determinant.code == "COMMS"]
    return score.score


def test_dont_know_scored_as_neutral_weighs_exactly_as_neither(routed_round):
    """Where the questionnaire scores "don't know" as neutral, it is the middle of the
    scale, 50, as "neither agree nor disagree" is, on a reverse-worded statement too."""
    neither = {"COMMS-1": "3", "COMMS-2": "3", "COMMS-3": "5", "COMMS-4": "1"}
    dont_know = neither | {"COMMS-1": "DK", "COMMS-2": "DK"}
    # (50 + 50 + 2 * 100 + 0) / 5: COMMS-3 counts twice
    assert _score(routed_round, dont_know) == _score(routed_round, neither) == 60.0


def test_a_score_needs_half_of_what_the_persons_role_is_asked(both, facility):
    """Physicians are asked all six legal statements, three of which only some roles
    are. Two rated is less than half of their six, so no score, though it is two of the
    three everyone is asked; three rated is half."""
    _, new = both
    items = Item.objects.filter(determinant__domain__instrument=new, determinant__code="LEGAL")
    common = [item.code for item in items if not item.asked_of]
    assert (items.count(), len(common)) == (6, 3)

    def legal_score(rated):
        rows = [("doc", "physician", code, "4") for code in common[:rated]]
        round_ = import_rows(facility, f"Rated {rated}", rows).round
        respondent = Respondent.objects.get(round=round_)
        (score,) = [s for s in respondent_scores([respondent.pk]) if s.determinant.code == "LEGAL"]
        return score.score

    assert legal_score(2) is None
    assert legal_score(3) == 75.0


@pytest.mark.parametrize("without", ["1", "2", "3", "DK"])
@pytest.mark.parametrize("others", ["1", "3", "5", "DK"])
def test_lacking_a_protection_never_scores_higher_than_having_it(routed_round, without, others):
    """COMMS-1 agreed (the facility has it) or answered as a facility without it would
    (disagree, neutral, don't know), the other COMMS answers equal: never higher without.
    COMMS-2 is reverse-worded: having it there is disagreeing."""
    for having in ("4", "5"):
        for reverse_having, reverse_without in (("2", "4"), ("1", "DK")):
            rest = {"COMMS-3": others, "COMMS-4": others}
            with_it = _score(routed_round, {"COMMS-1": having, "COMMS-2": "3"} | rest)
            lacking = _score(routed_round, {"COMMS-1": without, "COMMS-2": "3"} | rest)
            assert lacking <= with_it
            with_it = _score(routed_round, {"COMMS-1": "3", "COMMS-2": reverse_having} | rest)
            lacking = _score(routed_round, {"COMMS-1": "3", "COMMS-2": reverse_without} | rest)
            assert lacking <= with_it


def test_the_instrument_must_ask_every_role_something_of_each_determinant(db):
    data = routed_toy()
    for domain in data["domains"]:
        for det in domain["determinants"]:
            if det["code"] == "PARTNERS":
                for item in det["items"]:
                    item["asked_of"] = ["nurse"]
    with pytest.raises(ValidationError) as refused:
        load_instrument(data=data)
    assert refused.value.messages == [
        "determinant PARTNERS: no item is asked of ['physician', 'security']"
    ]
    data = routed_toy()
    data["strategies"][0]["eric_match"] = "component"
    data["strategies"][0]["eric_strategy"] = "Build a coalition"
    with pytest.raises(ValidationError):
        load_instrument(data=data)  # a component names no ERIC strategy
    assert not Instrument.objects.filter(version="toy-routed").exists()


# --- Trends across the version change -------------------------------------------------


def test_trends_compare_only_determinants_whose_meaning_carried_over(db, facility):
    old = load_instrument(data=read_json(OLD)).instrument
    before = import_rows(facility, "Before", _everyone(old, "4")).round
    new = load_instrument(data=read_json(NEW)).instrument
    after = import_rows(facility, "After", _everyone(new, "2")).round
    assert (before.instrument, after.instrument) == (old, new)

    scores = disclosure.released_scores(after, scope=disclosure.Scope.everything())
    assert scores.previous_label == before.label
    carried = {d.code for d in scores.determinants if d.determinant.carries_over_from}
    compared = {d.code for d in scores.determinants if d.change is not None}
    assert compared and compared <= carried
    assert scores.overall_change is None  # the overall is made of other determinants


def _everyone(instrument, value):
    """Three physicians answering every statement asked of them."""
    return [
        row
        for n in range(3)
        for row in full_answers(instrument, f"p{n}", "physician", lambda item: value)
        if Item.objects.get(determinant__domain__instrument=instrument, code=row[2]).is_asked_of(
            "physician"
        )
    ]


def test_the_dashboard_says_how_each_strategy_relates_to_eric(db):
    def label(**fields):
        html = render_to_string("_eric_match.html", {"strategy": Strategy(**fields)})
        (text,) = re.findall(r'<span class="[^"]*eric-match">(.*?)</span>', html)
        return " ".join(text.split())

    assert label(eric_match="exact", eric_strategy="Build a coalition") == (
        "(ERIC implementation strategy: Build a coalition)"
    )
    assert label(eric_match="adapted", eric_strategy="Mandate change") == (
        "(adapted from the ERIC implementation strategy Mandate change)"
    )
    assert label(eric_match="component", eric_strategy="") == (
        "(part of the protection itself, not an implementation strategy)"
    )
    assert label(eric_match="", eric_strategy="Audit and provide feedback") == (
        "(related ERIC implementation strategy, match not checked: Audit and provide feedback)"
    )


def test_peer_comparisons_never_mix_two_meanings_of_one_code(both, facility):
    """Five peers answered 2026.1: they count for LEGAL, which carried over, and not for
    WORKFORCE, whose meaning changed in 2027.1."""
    from django.utils import timezone

    from readiness import benchmarks
    from readiness.models import BenchmarkSnapshot

    old, new = both
    peers = [
        {
            "facility": 10_000 + n,
            "type": "fqhc",
            "version": "2026.1",
            "scores": {"LEGAL": 40.0 + n, "WORKFORCE": 90.0},
        }
        for n in range(5)
    ]
    BenchmarkSnapshot.objects.create(day=timezone.localdate(), peers=peers)
    compared = benchmarks.benchmarks_for(facility, instrument=new)["all"]
    assert compared["LEGAL"].peers == 5
    assert "WORKFORCE" not in compared
    # results.json of a 2027.1 round compares the same way
    round_ = import_rows(facility, "Next", _everyone(new, "4")).round
    assert round_.instrument == new
    shown = disclosure.round_results(round_, scope=disclosure.Scope.everything())["benchmarks"]
    assert shown["all"]["LEGAL"]["peers"] == 5
    assert "WORKFORCE" not in shown["all"]
    assert benchmarks.benchmarks_for(facility, instrument=old)["all"]["WORKFORCE"].peers == 5
    # the other way round: peers on 2027.1 compared with a 2026.1 round
    for entry in peers:
        entry["version"] = "2027.1"
    BenchmarkSnapshot.objects.filter(day=timezone.localdate()).update(peers=peers)
    benchmarks.forget()
    compared = benchmarks.benchmarks_for(facility, instrument=old)["all"]
    assert compared["LEGAL"].peers == 5 and "WORKFORCE" not in compared


def test_the_network_compares_sites_on_two_versions_only_where_meaning_carried_over(db):
    from readiness.models import Facility, Network, NetworkLeader
    from readiness.services.facilities import close_round, create_facility
    from tests.conftest import make_user
    from tests.pages import table

    network = Network.objects.create(name="Net", slug="net")
    old = load_instrument(data=read_json(OLD)).instrument
    before = create_facility(name="Old site", slug="old-site", type="fqhc", state="CA")
    close_round(round_=import_rows(before, "Spring", _everyone(old, "4")).round)
    load_instrument(data=read_json(NEW))
    after = create_facility(name="New site", slug="new-site", type="fqhc", state="CA")
    close_round(round_=import_rows(after, "Fall", _everyone(Instrument.current(), "4")).round)
    Facility.objects.filter(pk__in=[before.pk, after.pk]).update(network=network)
    leader = make_user("leader")
    NetworkLeader.objects.create(user=leader, network=network)
    client = Client()
    client.force_login(leader)
    rows = table(client.get("/networks/net/").content.decode(), "sites-table")
    assert rows, "the comparison table has an id"
    old_row = next(cells for name, cells in rows.items() if name.startswith("Old site"))
    assert "questionnaire 2026.1" in old_row[0]
    assert old_row[1] == "–"  # no overall score across versions


def test_half_the_statements_means_half_of_those_the_role_was_asked(db, facility):
    """COMMS-3 and COMMS-4 are asked of physicians only: a guard asked COMMS-1 and
    COMMS-2 who rated one of them has rated half of what they were asked (not of all
    four statements), and gets a score."""
    data = routed_toy()
    for domain in data["domains"]:
        for det in domain["determinants"]:
            for item in det["items"]:
                if item["code"] == "COMMS-4":
                    item["asked_of"] = ["physician"]
    data["version"] = "toy-routed-2"
    load_instrument(data=data)
    round_ = import_rows(facility, "R", [("g", "security", "COMMS-1", "4")]).round
    respondent = Respondent.objects.get(round=round_)
    (comms,) = [s for s in respondent_scores([respondent.pk]) if s.determinant.code == "COMMS"]
    assert comms.score == 75.0


def test_a_loaded_version_takes_corrected_texts_but_never_a_new_meaning(db):
    """Explanations, sources and ERIC matches of 2026.1 can be corrected where it is
    already loaded (rounds keep their answers' meaning); a changed statement cannot."""
    data = routed_toy()
    instrument = load_instrument(data=data).instrument
    facility = Facility.objects.create(name="F", slug="f", type="fqhc", state="CA")
    open_round(facility=facility, label="R")
    version_before = Facility.objects.get(pk=facility.pk).results_version
    corrected = copy.deepcopy(data)
    det = corrected["domains"][0]["determinants"][0]
    det["why_it_matters"] = "What the study found, said more carefully."
    corrected["strategies"][0]["eric_match"] = "component"
    corrected["strategies"][0]["eric_strategy"] = ""
    result = load_instrument(data=corrected)
    assert (result.created, result.corrected) == (False, True)
    # its facilities' dashboards are rebuilt with the corrected texts
    assert Facility.objects.get(pk=facility.pk).results_version == version_before + 1
    from readiness.models import Determinant

    stored = Determinant.objects.get(domain__instrument=instrument, code=det["code"])
    assert stored.why_it_matters == "What the study found, said more carefully."
    assert instrument.strategies.get(code=corrected["strategies"][0]["code"]).eric_match == (
        "component"
    )
    assert load_instrument(data=corrected).corrected is False  # the same again: nothing
    reworded = copy.deepcopy(corrected)
    reworded["domains"][0]["determinants"][0]["items"][0]["text"] = "Something else."
    with pytest.raises(ValidationError, match="already loaded with different content"):
        load_instrument(data=reworded)


class _Blocks(HTMLParser):
    """The text of each paragraph, list item and heading inside <main>."""

    BLOCKS = {"p", "li", "h1", "h2", "legend", "label"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.blocks, self.open = 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        elif self.depth and tag in self.BLOCKS:
            self.open.append([])

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth -= 1
        elif self.depth and tag in self.BLOCKS and self.open:
            self.blocks.append(" ".join("".join(self.open.pop()).split()))

    def handle_data(self, data):
        for block in self.open:
            block.append(data)


def texts_of(html: str) -> list[str]:
    """Sentences (not labels such as role names and headings, which have no grade)."""
    parser = _Blocks()
    parser.feed(html)
    return [text for text in parser.blocks if text.endswith((".", "?", "!"))]


def test_what_respondents_read_around_the_statements_is_at_most_grade_8(both, facility):
    round_ = open_round(facility=facility, label="Spring")
    client = Client()
    start_page = client.get(reverse("respondent-start", args=[round_.link_token])).content
    token, _ = start(client, round_, role="front_desk")
    first_page = client.get(page_url(token, 1)).content.decode()
    texts = texts_of(start_page.decode().replace(facility.name, "the clinic"))
    texts += texts_of(first_page)
    assert len(texts) > 5
    too_hard = {text: grade(text) for text in texts if grade(text) > MAX_GRADE}
    assert not too_hard


def test_a_text_too_long_for_its_field_is_refused_with_a_clear_message(db):
    data = routed_toy()
    data["roles"][0]["name"] = "N" * 101
    with pytest.raises(ValidationError) as refused:
        load_instrument(data=data)
    assert refused.value.messages == [f"role name: {'N' * 40!r}... is longer than 100 characters"]
    assert not Instrument.objects.exists()
