"""Data-quality checks (services/quality.py): time to complete in whole minutes, responses
flagged as too fast or straight-lined, the owners' choice to leave them out of the
results, and the limit on respondents started from one address on one round."""

import time
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from readiness import disclosure
from readiness.models import Answer, AuditEvent, Domain, Item, Respondent, Round
from readiness.services import quality
from readiness.services.facilities import open_round
from readiness.services.responses import find_respondent
from tests.clients import Client
from tests.conftest import full_answers, import_rows, make_user
from tests.pages import element, tags, text_of
from tests.respondents import page_data, page_items, page_url, start, start_url


def shown_at_in(html) -> str:
    (field,) = tags(html, "input", type="hidden", name="shown_at")
    return field["value"]


# --- Answering through the views ------------------------------------------------------


def page_count(round_) -> int:
    return Domain.objects.filter(instrument=round_.instrument).count()


def shown(token, number, seconds_ago) -> str:
    """A page's signed "shown at" value as if the page had been shown seconds_ago."""
    respondent = find_respondent(token)
    with mock.patch("time.time", return_value=time.time() - seconds_ago):
        return quality.page_shown_value(respondent_id=respondent.pk, page=number)


def answer_all(client, round_, token, *, values, seconds_per_page):
    """Answers every page (values: one per page) as if each took seconds_per_page."""
    for number in range(1, page_count(round_) + 1):
        data = page_data(round_, number, values[number - 1])
        data["shown_at"] = shown(token, number, seconds_per_page)
        response = client.post(page_url(token, number), data)
        assert response.status_code == 302
    return response


VARIED = ["4", "2", "5", "3", "4"]


class TestTimeToComplete:
    def test_each_page_form_carries_a_signed_shown_at_value(self, open_round_, client):
        token, _ = start(client, open_round_)
        value = shown_at_in(client.get(page_url(token, 1)).content)
        respondent = find_respondent(token)
        assert quality.seconds_on_page(value, respondent_id=respondent.pk, page=1) in (0, 1)
        # it carries no readable time of day and is not stored
        assert respondent.active_seconds == 0

    def test_whole_minutes_are_kept_at_finish_and_the_seconds_cleared(self, open_round_, client):
        token, _ = start(client, open_round_)
        pages = page_count(open_round_)
        for number in range(1, pages + 1):
            # each page saved exactly 125 seconds after it was shown, however slow the
            # machine running the test is
            shown_at = time.time()
            with mock.patch("time.time", return_value=shown_at):
                html = client.get(page_url(token, number)).content
            data = page_data(open_round_, number, VARIED[number - 1])
            data["shown_at"] = shown_at_in(html)
            with mock.patch("time.time", return_value=shown_at + 125):
                assert client.post(page_url(token, number), data).status_code == 302
            respondent = Respondent.objects.get()
            if number < pages:
                assert respondent.active_seconds == 125 * number
        assert respondent.is_finished
        assert respondent.minutes_to_complete == 10  # 625 seconds
        assert respondent.active_seconds == 0
        assert not respondent.too_fast and not respondent.straight_lined

    def test_a_long_break_counts_at_most_the_cap_per_page(self, open_round_, client):
        token, _ = start(client, open_round_)
        data = page_data(open_round_, 1)
        data["shown_at"] = shown(token, 1, 3 * 60 * 60)
        client.post(page_url(token, 1), data)
        assert Respondent.objects.get().active_seconds == quality.PAGE_SECONDS_CAP

    @pytest.mark.parametrize("tamper", ["timestamp", "page", "expired", "garbage", "missing"])
    def test_a_bad_shown_at_value_adds_nothing_and_saves_the_page(
        self, open_round_, client, tamper
    ):
        token, _ = start(client, open_round_)
        value = shown(token, 1, 600)
        page, stamp, signature = value.split(":")
        earlier = signing.b62_encode(signing.b62_decode(stamp) - 600)
        bad = {
            # ten minutes earlier still, with the signature of the real value
            "timestamp": f"{page}:{earlier}:{signature}",
            "page": shown(token, 2, 600),  # another page's value
            "expired": shown(token, 1, quality.PAGE_SHOWN_MAX_AGE + 60),
            "garbage": "x" * 500,
            "missing": None,
        }[tamper]
        data = page_data(open_round_, 1)
        if bad is not None:
            data["shown_at"] = bad
        response = client.post(page_url(token, 1), data)
        assert response.status_code == 302
        respondent = Respondent.objects.get()
        assert respondent.pages_saved == 1
        assert respondent.active_seconds == 0

    def test_another_respondents_value_adds_nothing(self, open_round_, client):
        token, _ = start(client, open_round_)
        other, _ = start(Client(), open_round_, nonce="o" * 30)
        data = page_data(open_round_, 1)
        data["shown_at"] = shown(other, 1, 600)
        client.post(page_url(token, 1), data)
        assert find_respondent(token).active_seconds == 0

    def test_a_page_shown_again_after_an_error_keeps_the_posted_value(self, open_round_, client):
        token, _ = start(client, open_round_)
        value = shown(token, 1, 300)
        data = page_data(open_round_, 1)
        del data[f"item-{page_items(open_round_, 1)[0].code}"]
        data["shown_at"] = value
        response = client.post(page_url(token, 1), data)
        assert response.status_code == 200
        assert shown_at_in(response.content) == value
        assert Respondent.objects.get().active_seconds == 0  # nothing saved yet
        # corrected and sent again: the time since the page was first shown counts
        data = page_data(open_round_, 1)
        data["shown_at"] = shown_at_in(response.content)
        client.post(page_url(token, 1), data)
        assert 300 <= Respondent.objects.get().active_seconds <= 305

    def test_minutes_are_whole_and_rounded(self):
        assert [quality.whole_minutes(s) for s in (0, 29, 30, 89, 90, 625)] == [0, 0, 1, 1, 2, 10]


class TestFlags:
    def test_under_two_seconds_per_statement_is_too_fast(self, open_round_, client, settings):
        assert settings.QUALITY_MIN_SECONDS_PER_STATEMENT == 2
        token, _ = start(client, open_round_)
        statements = Item.objects.filter(determinant__domain__instrument=open_round_.instrument)
        # 10 seconds a page: far less than 2 seconds for each statement
        answer_all(client, open_round_, token, values=VARIED, seconds_per_page=10)
        respondent = Respondent.objects.get()
        assert respondent.is_finished
        assert 10 * page_count(open_round_) < 2 * statements.count()
        assert respondent.too_fast and not respondent.straight_lined
        assert respondent.is_flagged

    def test_the_same_answer_everywhere_is_straight_lined(self, open_round_, client):
        token, _ = start(client, open_round_)
        answer_all(client, open_round_, token, values=["3"] * 5, seconds_per_page=300)
        respondent = Respondent.objects.get()
        # reverse-worded statements got the same 3 as the others
        answered = Answer.objects.filter(respondent=respondent)
        assert answered.filter(item__reverse_scored=True).exists()
        assert set(answered.values_list("kind", "value")) == {(Answer.Kind.SCALE, 3)}
        assert respondent.straight_lined and not respondent.too_fast
        assert respondent.minutes_to_complete == 25

    def test_an_honest_varied_response_flags_nothing(self, open_round_, client):
        token, _ = start(client, open_round_)
        answer_all(client, open_round_, token, values=VARIED, seconds_per_page=240)
        respondent = Respondent.objects.get()
        assert respondent.is_finished and not respondent.is_flagged
        assert respondent.minutes_to_complete == 20

    def test_the_rules(self, settings):
        assert quality.is_too_fast(105, 53) and not quality.is_too_fast(106, 53)
        settings.QUALITY_MIN_SECONDS_PER_STATEMENT = 0
        assert not quality.is_too_fast(0, 53)
        scale, dk = Answer.Kind.SCALE, Answer.Kind.DONT_KNOW
        assert quality.is_straight_lined([(scale, 3, False), (scale, 3, True)])
        assert quality.is_straight_lined([(dk, None, False), (dk, None, True)])
        assert not quality.is_straight_lined([(scale, 3, False), (scale, 4, True)])
        assert not quality.is_straight_lined([(scale, 3, False), (dk, None, True)])
        # with no reversed statement (or only reversed ones) the same answer is consistent
        assert not quality.is_straight_lined([(scale, 3, False)])
        assert not quality.is_straight_lined([(scale, 3, True)])
        assert not quality.is_straight_lined([])

    def test_imports_are_checked_for_straight_lining_never_for_speed(self, facility, instrument):
        rows = full_answers(instrument, "same", "nurse", lambda item: 3)
        rows += full_answers(instrument, "varied", "nurse", lambda item: 1 + item.pk % 5)
        import_rows(facility, "Paper", rows)
        same = Respondent.objects.get(import_id="same")
        varied = Respondent.objects.get(import_id="varied")
        assert same.straight_lined and not same.too_fast
        assert not varied.is_flagged
        assert same.minutes_to_complete is None and varied.minutes_to_complete is None


# --- The owners' choice ----------------------------------------------------------------


def import_people(facility, instrument, label, *, honest, straight, prefix=""):
    rows = []
    for n in range(honest):
        rows += full_answers(
            instrument, f"{prefix}h{n}", "nurse", lambda i, n=n: 1 + (i.pk + n) % 5
        )
    for n in range(straight):
        rows += full_answers(instrument, f"{prefix}s{n}", "physician", lambda i: 3)
    return import_rows(facility, label, rows).round


def exclude_url(round_):
    return reverse("round-exclude-flagged", args=[round_.facility.slug, round_.pk])


def dashboard(client, round_):
    response = client.get(reverse("round-dashboard", args=[round_.facility.slug, round_.pk]))
    assert response.status_code == 200
    return response


class TestExcludingFlagged:
    def test_keeping_flagged_responses_out_never_takes_published_ones_out(
        self, facility, instrument, owner, client
    ):
        """Published results only grow: flagged responses already in them stay, flagged
        ones finishing later are kept out, and counting them again adds them in a step."""
        round_ = import_people(facility, instrument, "R1", honest=3, straight=3)
        client.force_login(owner)
        before = dashboard(client, round_)
        assert before.context["status"].published == 6
        assert before.context["status"].flagged == 3
        release = disclosure.release_for(round_)

        response = client.post(exclude_url(round_), {"exclude": "on"}, follow=True)
        assert response.redirect_chain[-1][0] == reverse(
            "round-dashboard", args=[facility.slug, round_.pk]
        )
        (message,) = [m.message for m in response.context["messages"]]
        assert message.endswith(
            "3 of them were already in the published results and stay there: published "
            "results only grow, so that no one's answers show in a before/after comparison."
        )
        round_.refresh_from_db()
        assert round_.exclude_flagged
        assert response.context["status"].published == 6
        assert disclosure.release_for(round_).number == release.number
        assert text_of(response.content.decode(), "quality-waiting").startswith(
            "The others were already in the published results before, and stay"
        )
        (checkbox,) = tags(response.content, "input", id="exclude-flagged")
        assert "checked" in checkbox and checkbox["type"] == "checkbox"
        event = AuditEvent.objects.get(action=AuditEvent.Action.FLAGGED_EXCLUDED)
        assert event.user == owner
        assert event.detail == {"round": "R1", "flagged": 3}
        log = client.get(reverse("facility-audit", args=[facility.slug]))
        assert event in log.context["events"]

        # three more straight-liners are kept out; the counts shown stay those of the
        # last update; counting them again adds them at once
        import_people(facility, instrument, "R1", honest=0, straight=3, prefix="more-")
        round_.refresh_from_db()
        status = disclosure.release_status(round_)
        assert (status.published, status.flagged, status.excluded) == (6, 3, 0)
        client.post(exclude_url(round_), {})
        round_.refresh_from_db()
        assert not round_.exclude_flagged
        status = dashboard(client, round_).context["status"]
        assert (status.published, status.flagged, status.excluded) == (9, 6, 0)
        event = AuditEvent.objects.get(action=AuditEvent.Action.FLAGGED_INCLUDED)
        assert event.detail == {"round": "R1", "flagged": 3}  # as of the last update

    def test_one_flagged_latecomer_changes_nothing_the_owners_can_read(
        self, facility, instrument, owner, client
    ):
        """The owner watches a colleague finish: had the flagged count gone up, the owner
        would know that this colleague answered the same everywhere. Neither the page,
        nor choosing again (its message and audit entry) tells before the next update."""
        round_ = import_people(facility, instrument, "R1", honest=3, straight=3)
        client.force_login(owner)
        client.post(exclude_url(round_), {"exclude": "on"})
        before = dashboard(client, round_)
        respondent_client = Client()
        token, _ = start(respondent_client, round_, nonce="x" * 30)
        answer_all(respondent_client, round_, token, values=["3"] * 5, seconds_per_page=300)
        assert Respondent.objects.filter(straight_lined=True, published=False).count() == 1
        after = dashboard(client, round_)
        for element_id in ("quality-flagged", "flagged-excluded"):
            shown = [text_of(page.content.decode(), element_id) for page in (before, after)]
            assert shown[0] == shown[1]
        assert text_of(before.content.decode(), "quality-flagged")  # (on the page at all)
        off = client.post(exclude_url(round_), {}, follow=True)
        (message,) = [m.message for m in off.context["messages"]]
        # no "1 of them joins the results with the next update": none was kept out at it
        assert (
            message
            == "Responses flagged by the quality checks count in this round's results again."
        )
        details = AuditEvent.objects.filter(
            action__in=[AuditEvent.Action.FLAGGED_EXCLUDED, AuditEvent.Action.FLAGGED_INCLUDED]
        ).values_list("detail", flat=True)
        assert {detail["flagged"] for detail in details} == {3}

    def test_flagged_responses_not_yet_published_never_join(
        self, facility, instrument, owner, viewer, client
    ):
        round_ = import_people(facility, instrument, "R1", honest=3, straight=0)
        client.force_login(owner)
        client.post(exclude_url(round_), {"exclude": "on"})
        # three straight-liners finish through the questionnaire, then three honest people
        for n in range(3):
            respondent_client = Client()
            token, _ = start(respondent_client, round_, nonce=f"{n}" * 30)
            answer_all(respondent_client, round_, token, values=["3"] * 5, seconds_per_page=300)
        import_people(facility, instrument, "R1", honest=3, straight=0, prefix="later-")
        round_.refresh_from_db()
        status = disclosure.release_status(round_)
        assert Respondent.objects.filter(straight_lined=True, status="finished").count() == 3
        assert not Respondent.objects.filter(straight_lined=True, published=True).exists()
        # "waiting" counts them too, so it moves the same whether or not someone was flagged
        assert status.published == 6 and status.excluded == 3 and status.waiting == 3
        client.force_login(viewer)
        page = dashboard(client, round_)
        # everyone who sees the dashboard is told that they are kept out, not how many
        assert text_of(page.content.decode(), "flagged-excluded") == (
            "Responses flagged by the quality checks (finished implausibly fast, or the "
            "same answer everywhere) are kept out of these results."
        )
        assert element(page.content.decode(), "quality") is None  # the owners' controls

    def test_owners_see_the_count_and_a_labelled_form(self, facility, instrument, owner, client):
        round_ = import_people(facility, instrument, "R1", honest=3, straight=2)
        client.force_login(owner)
        page = dashboard(client, round_)
        assert text_of(page.content.decode(), "quality-flagged").startswith(
            "2 finished responses were flagged by the quality checks when the results were "
            "last updated."
        )
        (form,) = tags(page.content, "form", action=exclude_url(round_))
        assert form["method"] == "post"
        assert tags(page.content, "label", **{"for": "exclude-flagged"})
        assert text_of(page.content.decode(), "quality-heading") == "Quality checks"
        assert tags(page.content, "button", type="submit")
        assert tags(page.content, "input", name="exclude", id="exclude-flagged")
        assert tags(page.content, "input", name="csrfmiddlewaretoken")
        assert element(page.content.decode(), "flagged-excluded") is None

    def test_people_waiting_are_not_counted_until_they_join(self, facility, instrument):
        """Two straight-lined legal staff wait for a third of their role while nurses
        join. Counted now, the count would go up by the third legal person's flag alone
        when all three join together."""
        round_ = import_people(facility, instrument, "R1", honest=3, straight=0)
        rows = []
        for n in range(2):
            rows += full_answers(instrument, f"legal{n}", "legal", lambda i: 3)
        import_rows(facility, "R1", rows)
        import_people(facility, instrument, "R1", honest=3, straight=0, prefix="more-")
        status = disclosure.release_status(round_)
        assert (status.published, status.waiting) == (6, 2)
        assert Respondent.objects.filter(straight_lined=True, published=False).count() == 2
        assert (status.flagged, status.excluded) == (0, 0)

    @pytest.mark.parametrize("persona,status", [("viewer", 403), ("outsider", 404), (None, 302)])
    def test_only_owners_may_choose(
        self, facility, instrument, viewer, outsider, client, persona, status
    ):
        round_ = import_people(facility, instrument, "R1", honest=3, straight=3)
        if persona:
            client.force_login({"viewer": viewer, "outsider": outsider}[persona])
        assert client.post(exclude_url(round_), {"exclude": "on"}).status_code == status
        assert not Round.objects.get(pk=round_.pk).exclude_flagged
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.FLAGGED_EXCLUDED).exists()

    def test_editors_may_not_choose_and_get_is_refused(self, facility, instrument, owner, client):
        round_ = import_people(facility, instrument, "R1", honest=3, straight=0)
        editor = make_user("editor")
        facility.memberships.create(user=editor, level="editor")
        client.force_login(editor)
        assert client.post(exclude_url(round_), {"exclude": "on"}).status_code == 403
        client.force_login(owner)
        assert client.get(exclude_url(round_)).status_code == 405

    def test_choosing_the_same_again_records_nothing_new(self, facility, instrument, owner):
        round_ = import_people(facility, instrument, "R1", honest=3, straight=3)
        first = quality.set_exclude_flagged(round_=round_, exclude=True, by=owner)
        again = quality.set_exclude_flagged(round_=round_, exclude=True, by=owner)
        assert first.changed and not again.changed
        assert first.flagged == again.flagged == 3 and first.unaffected == 3
        assert AuditEvent.objects.filter(action=AuditEvent.Action.FLAGGED_EXCLUDED).count() == 1


# --- Starts per address and round -----------------------------------------------------


class TestStartsPerAddress:
    def test_the_default_is_generous(self, settings):
        assert settings.RESPONDENT_STARTS_PER_ADDRESS == "300/h"

    def test_starts_beyond_the_limit_are_refused_for_that_address_and_round(
        self, open_round_, facility, settings
    ):
        settings.RESPONDENT_STARTS_PER_ADDRESS = "3/h"
        other_round = open_round(facility=facility, label="Autumn 2026", alongside_open=True)
        role_id = open_round_.instrument.roles.get(code="nurse").pk

        def post(round_, address, n):
            return Client().post(
                start_url(round_), {"role": role_id, "nonce": f"{n:030d}"}, REMOTE_ADDR=address
            )

        # a fixed clock, so that the hour's window cannot end during the test
        with mock.patch("time.time", return_value=time.time()):
            statuses = [post(open_round_, "203.0.113.7", n).status_code for n in range(4)]
            assert statuses == [302, 302, 302, 429]
            assert post(other_round, "203.0.113.7", 10).status_code == 302
            assert post(open_round_, "198.51.100.2", 11).status_code == 302
        assert Respondent.objects.filter(round=open_round_).count() == 4
        assert Respondent.objects.filter(round=other_round).count() == 1
        # a GET of the refused address's start page still works
        assert Client().get(start_url(open_round_), REMOTE_ADDR="203.0.113.7").status_code == 200
