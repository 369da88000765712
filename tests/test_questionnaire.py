"""The respondent's journey: start, save page by page, resume, finish, and what can
go wrong on the way (double submits, back button, closed rounds, expired CSRF)."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readiness.models import Answer, DeterminantScore, Domain, Item, Respondent, Role, Round
from readiness.services.facilities import close_round
from readiness.services.responses import find_respondent
from tests.respondents import answer_everything, page_data, page_items, page_url, start, start_url


class TestStart:
    def test_opening_the_link_writes_nothing(self, open_round_, client):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(start_url(open_round_))
        assert response.status_code == 200
        writes = [
            q["sql"]
            for q in queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
        ]
        assert writes == []
        assert not Respondent.objects.exists()
        assert "no-store" in response["Cache-Control"]
        assert "sessionid" not in response.cookies

    def test_the_first_page_says_what_is_stored(self, open_round_, client):
        content = client.get(start_url(open_round_)).content.decode()
        assert "never ask your name" in content
        assert "IP address" in content
        assert "at least 3 people" in content

    def test_choosing_a_role_creates_one_anonymous_respondent(self, open_round_, client):
        token, response = start(client, open_round_)
        respondent = Respondent.objects.get()
        assert respondent.role.code == "nurse"
        assert respondent.status == Respondent.Status.IN_PROGRESS
        # only the token's hash is stored
        assert respondent.token_hash != token and find_respondent(token) == respondent
        assert "sessionid" not in response.cookies

    def test_a_double_clicked_start_makes_one_respondent_and_the_same_link(
        self, open_round_, client
    ):
        first, _ = start(client, open_round_)
        second, _ = start(client, open_round_)
        assert first == second
        assert Respondent.objects.count() == 1

    def test_reusing_a_start_form_after_answers_were_saved_is_refused(self, open_round_, client):
        token, _ = start(client, open_round_)
        client.post(page_url(token, 1), page_data(open_round_, 1))
        role_id = Role.objects.get(instrument=open_round_.instrument, code="nurse").pk
        response = client.post(start_url(open_round_), {"role": role_id, "nonce": "n" * 30})
        assert response.status_code == 409
        assert "already used" in response.content.decode()
        assert Respondent.objects.count() == 1

    @pytest.mark.parametrize(
        "data",
        [
            {},
            {"nonce": "n" * 30},
            {"role": "999999", "nonce": "n" * 30},
            {"role": "abc", "nonce": "n" * 30},
            {"role": "1", "nonce": "<script>"},
        ],
    )
    def test_bad_start_forms_are_answered_with_a_message(self, open_round_, client, data):
        response = client.post(start_url(open_round_), data)
        # the form comes back (200, as Django's form views do) with a message
        assert response.status_code == 200
        assert "Please choose" in response.content.decode()
        assert not Respondent.objects.exists()

    def test_a_role_of_another_instrument_is_refused(self, open_round_, toy_instrument, client):
        foreign = Role.objects.get(instrument=toy_instrument, code="nurse").pk
        response = client.post(start_url(open_round_), {"role": foreign, "nonce": "n" * 30})
        assert response.status_code == 200
        assert not Respondent.objects.exists()

    def test_an_unknown_link_is_404(self, db, client):
        assert client.get(reverse("respondent-start", args=["x" * 43])).status_code == 404


class TestPages:
    def test_each_item_is_its_own_labelled_radio_group(self, open_round_, client):
        token, _ = start(client, open_round_)
        html = client.get(page_url(token, 1)).content.decode()
        items = page_items(open_round_, 1)
        assert html.count("<fieldset") == len(items)
        assert html.count("<legend") == len(items)
        assert "<table" not in html
        for item in items:
            assert f'<legend class="item-text">{item.text}</legend>'.replace("'", "&#x27;") in html
        assert 'type="radio"' in html and "Don&#x27;t know" in html
        assert '<progress id="progress"' in html

    def test_a_page_is_saved_on_the_server_and_shown_again(self, open_round_, client):
        token, _ = start(client, open_round_)
        response = client.post(page_url(token, 1), page_data(open_round_, 1, "2"))
        assert response["Location"].startswith(page_url(token, 2))
        respondent = Respondent.objects.get()
        assert respondent.pages_saved == 1
        assert set(respondent.answers.values_list("value", flat=True)) == {2}
        # a different browser with only the link sees the saved answers
        html = Client().get(page_url(token, 1)).content.decode()
        assert html.count('value="2" id=') == len(page_items(open_round_, 1))
        assert html.count(" checked>") == len(page_items(open_round_, 1))

    def test_a_missing_answer_is_reported_next_to_its_question(self, open_round_, client):
        token, _ = start(client, open_round_)
        data = page_data(open_round_, 1)
        missing = page_items(open_round_, 1)[2]
        del data[f"item-{missing.code}"]
        response = client.post(page_url(token, 1), data)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'aria-describedby="id_item-' + missing.code + '-error"' in html
        assert 'id="id_item-' + missing.code + '-error"' in html
        assert 'role="alert"' in html
        # what was entered is still there, and nothing was saved
        assert html.count(" checked>") == len(page_items(open_round_, 1)) - 1
        assert not Answer.objects.exists()

    def test_going_back_saves_partial_answers(self, open_round_, client):
        token, _ = start(client, open_round_)
        client.post(page_url(token, 1), page_data(open_round_, 1))
        item = page_items(open_round_, 2)[0]
        response = client.post(page_url(token, 2), {f"item-{item.code}": "DK", "direction": "back"})
        assert response["Location"] == page_url(token, 1)
        assert Answer.objects.get(item=item).kind == Answer.Kind.DONT_KNOW

    def test_saving_for_later_then_resuming_from_the_personal_link(self, open_round_, client):
        token, _ = start(client, open_round_)
        client.post(page_url(token, 1), page_data(open_round_, 1))
        response = client.post(page_url(token, 2), {"direction": "later"})
        assert response.status_code == 302
        # days later, on another device: the personal link goes to the first open page
        resumed = Client().get(reverse("respondent-resume", args=[token]))
        assert resumed["Location"] == page_url(token, 2)

    def test_re_posting_a_page_with_the_back_button_does_not_duplicate(self, open_round_, client):
        token, _ = start(client, open_round_)
        client.post(page_url(token, 1), page_data(open_round_, 1, "2"))
        client.post(page_url(token, 1), page_data(open_round_, 1, "5"))
        items = page_items(open_round_, 1)
        assert Answer.objects.count() == len(items)
        assert set(Answer.objects.values_list("value", flat=True)) == {5}

    def test_finishing_locks_the_answers_and_scores_the_respondent(self, open_round_, client):
        token, _ = start(client, open_round_)
        response = answer_everything(client, open_round_, token)
        assert response["Location"] == reverse("respondent-done", args=[token])
        respondent = Respondent.objects.get()
        assert respondent.is_finished
        # every answer was 4: 75 for a positive statement, 25 for a reversed one
        for row in DeterminantScore.objects.filter(respondent=respondent):
            items = list(row.determinant.items.all())
            expected = sum(25 if i.reverse_scored else 75 for i in items) / len(items)
            assert row.score == pytest.approx(expected)
        assert DeterminantScore.objects.filter(respondent=respondent).count() == 10
        # a later post, e.g. the back button and submit again, changes nothing
        last = Domain.objects.filter(instrument=open_round_.instrument).count()
        again = client.post(page_url(token, last), page_data(open_round_, last, "1"))
        assert again["Location"] == reverse("respondent-done", args=[token])
        assert not Answer.objects.filter(value=1).exists()
        assert client.get(page_url(token, 1))["Location"] == reverse(
            "respondent-done", args=[token]
        )

    def test_a_double_clicked_submit_records_one_finished_respondent(self, open_round_, client):
        token, _ = start(client, open_round_)
        answer_everything(client, open_round_, token)
        last = Domain.objects.filter(instrument=open_round_.instrument).count()
        client.post(page_url(token, last), page_data(open_round_, last))
        assert Respondent.objects.filter(status="finished").count() == 1
        assert DeterminantScore.objects.count() == 10
        assert (
            Answer.objects.count()
            == Item.objects.filter(determinant__domain__instrument=open_round_.instrument).count()
        )

    def test_submitting_with_an_earlier_page_incomplete_goes_back_to_it(self, open_round_, client):
        token, _ = start(client, open_round_)
        last = Domain.objects.filter(instrument=open_round_.instrument).count()
        response = client.post(page_url(token, last), page_data(open_round_, last))
        assert response["Location"] == page_url(token, 1) + "?notice=incomplete"
        assert not Respondent.objects.get().is_finished
        # the last page's answers were kept
        assert Answer.objects.count() == len(page_items(open_round_, last))

    @pytest.mark.parametrize("number", [0, 6, 99])
    def test_pages_outside_the_questionnaire_are_404(self, open_round_, client, number):
        token, _ = start(client, open_round_)
        assert client.get(page_url(token, number)).status_code == 404

    def test_an_unknown_personal_link_is_404(self, open_round_, client):
        assert client.get(page_url("z" * 64, 1)).status_code == 404

    @pytest.mark.parametrize("value", ["0", "6", "", "4.5", "DKX", "<b>", "1" * 1000])
    def test_tampered_answers_are_refused(self, open_round_, client, value):
        token, _ = start(client, open_round_)
        data = page_data(open_round_, 1)
        data[f"item-{page_items(open_round_, 1)[0].code}"] = value
        response = client.post(page_url(token, 1), data)
        assert response.status_code == 200
        assert "Please choose" in response.content.decode()
        assert not Answer.objects.exists()

    def test_answers_for_items_of_another_page_are_ignored(self, open_round_, client):
        token, _ = start(client, open_round_)
        data = page_data(open_round_, 1)
        data.update({k: v for k, v in page_data(open_round_, 2).items() if k != "direction"})
        client.post(page_url(token, 1), data)
        assert Answer.objects.count() == len(page_items(open_round_, 1))


class TestClosedRound:
    def test_a_closed_round_accepts_no_answers_and_says_so(self, open_round_, client):
        token, _ = start(client, open_round_)
        close_round(round_=open_round_)
        response = client.post(page_url(token, 1), page_data(open_round_, 1))
        assert response.status_code == 410
        assert "closed" in response.content.decode()
        assert not Answer.objects.exists()
        assert client.get(start_url(open_round_)).status_code == 410
        role_id = Role.objects.get(instrument=open_round_.instrument, code="nurse").pk
        client.post(start_url(open_round_), {"role": role_id, "nonce": "m" * 30})
        assert Respondent.objects.count() == 1


class TestExpiredCsrf:
    def test_the_page_comes_back_with_what_was_entered(self, open_round_):
        client = Client(enforce_csrf_checks=True)
        token, _ = start(Client(), open_round_)
        data = page_data(open_round_, 1, "5")
        response = client.post(page_url(token, 1), data)  # no CSRF cookie or token
        assert response.status_code == 403
        html = response.content.decode()
        assert "security check expired" in html
        assert html.count(" checked>") == len(page_items(open_round_, 1))
        assert 'name="csrfmiddlewaretoken"' in html
        assert not Answer.objects.exists()
        # pressing the button again with the fresh token saves the page
        fresh = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        data["csrfmiddlewaretoken"] = fresh
        assert client.post(page_url(token, 1), data).status_code == 302
        assert Answer.objects.count() == len(page_items(open_round_, 1))

    def test_the_start_page_comes_back_too(self, open_round_):
        client = Client(enforce_csrf_checks=True)
        role_id = Role.objects.get(instrument=open_round_.instrument, code="nurse").pk
        response = client.post(start_url(open_round_), {"role": role_id, "nonce": "n" * 30})
        assert response.status_code == 403
        assert "Please press Start again" in response.content.decode()

    def test_other_forms_get_a_plain_explanation(self, db):
        response = Client(enforce_csrf_checks=True).post(reverse("login"), {})
        assert response.status_code == 403
        assert "Please try again" in response.content.decode()


def test_nothing_identifying_is_stored_with_answers():
    fields = {f.name for model in (Respondent, Answer) for f in model._meta.get_fields()}
    for forbidden in ("ip", "ip_address", "user_agent", "email", "name", "created_at"):
        assert forbidden not in fields
    assert Respondent._meta.get_field("started_on").get_internal_type() == "DateField"


def test_round_links_and_tokens_carry_at_least_128_random_bits(open_round_, client):
    assert len(open_round_.link_token) >= 43  # 32 bytes, URL-safe base64
    token, _ = start(client, open_round_)
    assert len(token) == 64  # 256-bit HMAC in hex
    assert Round.objects.exclude(link_token=open_round_.link_token).count() == 0
