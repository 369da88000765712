"""The instrument: the shipped content, versioned loading, export."""

import copy
import re

import pytest
from django.core.exceptions import ValidationError

from readiness.models import Answer, Determinant, Domain, Instrument, Item, Role, Strategy
from readiness.services.instrument import export_instrument, load_instrument
from tests.conftest import EXAMPLE, ROOT, import_rows, read_json

FIXTURE = ROOT / "fixtures" / "instrument.json"


class TestShippedContent:
    """What issue 2 asks of the questionnaire, checked on fixtures/instrument.json."""

    def test_the_five_cfir_domains(self, instrument):
        assert list(Domain.objects.values_list("code", flat=True)) == [
            "INTERVENTION",
            "OUTER",
            "INNER",
            "INDIVIDUALS",
            "PROCESS",
        ]

    def test_the_determinants_of_the_study(self, instrument):
        assert set(Determinant.objects.values_list("code", flat=True)) == {
            "LEGAL",
            "POLICY",
            "COMMUNITY",
            "COMMS",
            "PARTNERS",
            "MISSION",
            "INFRA",
            "CHAMPIONS",
            "WORKFORCE",
            "EVAL",
        }

    def test_each_determinant_has_4_to_6_items_and_explains_itself(self, instrument):
        for determinant in Determinant.objects.prefetch_related("items"):
            assert 4 <= determinant.items.count() <= 6, determinant.code
            assert determinant.explanation and determinant.why_it_matters
            assert "Saadi" in determinant.source

    def test_items_cite_the_study_and_some_are_reverse_scored(self, instrument):
        items = Item.objects.all()
        assert all("Saadi" in item.source for item in items)
        reverse = items.filter(reverse_scored=True)
        assert reverse.exists()
        # every determinant keeps a majority of positively worded items
        for determinant in Determinant.objects.all():
            assert reverse.filter(determinant=determinant).count() <= 2

    def test_the_roles_include_the_voices_the_study_says_get_left_out(self, instrument):
        codes = list(Role.objects.values_list("code", flat=True))
        assert len(codes) == 12
        assert set(Role.objects.filter(key_voice=True).values_list("code", flat=True)) == {
            "nurse",
            "security",
            "legal",
            "front_desk",
        }

    def test_strategy_library(self, instrument):
        strategies = Strategy.objects.prefetch_related("determinants")
        assert strategies.count() >= 30
        for strategy in strategies:
            assert strategy.determinants.exists(), strategy.code
            assert strategy.rationale
        with_eric = strategies.exclude(eric_strategy="").values_list("eric_strategy", flat=True)
        assert {
            "Identify and prepare champions",
            "Build a coalition",
            "Conduct educational meetings",
        } <= set(with_eric)
        # every determinant has something to recommend
        for determinant in Determinant.objects.all():
            assert determinant.strategies.count() >= 3, determinant.code

    def test_no_question_asks_about_anyones_immigration_status(self, instrument):
        load_instrument(data=read_json(ROOT / "fixtures" / "instrument-2027.1.json"))
        texts = [item.text for item in Item.objects.all()]
        texts += [t["text"] for item in Item.objects.all() for t in item.translations.values()]
        assert len(texts) == 53 + 59 + 59
        assert [text for text in texts if asks_about_status(text)] == []

    def test_the_status_check_catches_a_question_about_status(self):
        for question in (
            "What is your immigration status?",
            "Are you a US citizen?",
            "Staff here know whether you have papers.",
            "¿Cuál es su estatus migratorio?",
            "Usted tiene papeles.",
        ):
            assert asks_about_status(question), question
        assert not asks_about_status("Staff here know what to do if immigration agents come.")


# Words about someone's legal standing, in English and Spanish.
STATUS_WORDS = re.compile(
    r"status|citizen|visa|green card|papers|documented|estatus|ciudadan|papeles|documentad",
    re.IGNORECASE,
)
# Statements are impersonal ("staff here"): a question, or words to the reader, about
# legal standing would ask the respondent about their own.
TO_THE_READER = re.compile(r"\?|\b(you|your|usted|tiene)\b", re.IGNORECASE)


def asks_about_status(text: str) -> bool:
    return bool(STATUS_WORDS.search(text) and TO_THE_READER.search(text))


class TestLoading:
    def test_loading_the_same_version_again_changes_nothing(self, db):
        first = load_instrument(data=read_json(FIXTURE))
        again = load_instrument(data=read_json(FIXTURE))
        assert first.created and not again.created
        assert again.instrument == first.instrument
        assert Instrument.objects.count() == 1
        assert Item.objects.count() == 53

    def test_changed_content_under_the_same_version_is_refused(self, instrument):
        data = read_json(FIXTURE)
        data["domains"][0]["determinants"][0]["items"][0]["text"] = "Changed."
        with pytest.raises(ValidationError, match="already loaded with different content"):
            load_instrument(data=data)
        assert Item.objects.filter(text="Changed.").count() == 0

    def test_a_new_version_leaves_old_answers_and_rounds_alone(self, instrument, facility):
        import_rows(facility, "Old", [("p1", "nurse", "LEGAL-1", 4)])
        data = read_json(FIXTURE)
        data["version"] = "2027.1"
        data["domains"][0]["determinants"][0]["items"][0]["text"] = "Reworded."
        new = load_instrument(data=data).instrument
        assert Instrument.current() == new
        answer = Answer.objects.get()
        assert answer.item.determinant.domain.instrument == instrument
        assert answer.item.text != "Reworded."

    def test_loading_writes_each_table_at_once_not_row_by_row(self, db):
        """Tests load the instrument hundreds of times: row by row (one insert per
        determinant and strategy, a read and an insert per strategy's links) it took
        about 130 statements and three times as long."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as loading:
            load_instrument(data=read_json(FIXTURE))
        inserts = [q["sql"].split('"')[1] for q in loading if q["sql"].startswith("INSERT")]
        assert inserts == [
            "readiness_instrument",
            "readiness_role",
            "readiness_domain",
            "readiness_determinant",
            "readiness_item",
            "readiness_strategy",
            "readiness_strategy_determinants",
        ]
        assert len(loading) <= 12  # the inserts, the look-up of the version, savepoints

    @pytest.mark.parametrize(
        ("mutate", "message"),
        [
            (lambda d: d.pop("version"), "'version' is missing"),
            (lambda d: d["roles"].append(copy.deepcopy(d["roles"][0])), "used twice"),
            (lambda d: d["domains"][0]["determinants"][0]["items"].clear(), "has no items"),
            (
                lambda d: d["domains"][0]["determinants"][0]["items"][0].update(weight=0),
                "weight must be",
            ),
            (
                lambda d: d["domains"][0]["determinants"][0]["items"][0].update(reverse_scored="y"),
                "reverse_scored",
            ),
            (lambda d: d["strategies"][0].update(determinants=["NOPE"]), "unknown or missing"),
            (lambda d: d["domains"][1]["determinants"][0].update(code="LEGAL"), "used twice"),
        ],
    )
    def test_malformed_documents_are_refused_before_writing(self, db, mutate, message):
        data = read_json(FIXTURE)
        mutate(data)
        with pytest.raises(ValidationError, match=message):
            load_instrument(data=data)
        assert not Instrument.objects.exists()


def test_export_has_the_documented_shape(toy_instrument):
    from tests.test_commands import without_added_fields

    exported = export_instrument(toy_instrument)
    assert without_added_fields(exported) == read_json(EXAMPLE / "instrument.json")
