"""Property-based tests: whatever arrives, never a 500, never a partial write, always a
clear message."""

import itertools

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.models import Answer, DeterminantScore, Item, Respondent, Role, Round
from readiness.services.imports import ImportRejected, import_responses

HYPOTHESIS = settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
labels = itertools.count()

junk = st.text(max_size=30) | st.from_regex(r"[=+\-@][A-Z0-9(),]{0,10}", fullmatch=True)
cells = {
    "respondent": st.sampled_from(["p1", "p2", "p3", ""]) | junk,
    "role": st.sampled_from(["nurse", "security", "physician", "NURSE", ""]) | junk,
    "item": st.sampled_from(["EVAL-1", "EVAL-2", "COMMS-3", "LEGAL-1", "eval-1"]) | junk,
    "value": st.sampled_from(["1", "3", "5", "DK", "na", "0", "6", "", "2.0"])
    | junk
    | st.integers(-(10**12), 10**12).map(str),
}
rows = st.lists(st.fixed_dictionaries(cells), max_size=12)
headers = st.sampled_from(
    [
        ["respondent", "role", "item", "value"],
        ["value", "item", "role", "respondent"],
        ["respondent", "role", "item"],
        ["respondent", "role", "item", "value", "value"],
    ]
)


def snapshot():
    return (
        Round.objects.count(),
        Respondent.objects.count(),
        Answer.objects.count(),
        DeterminantScore.objects.count(),
    )


def to_csv(header, records) -> str:
    lines = [",".join(header)]
    for record in records:
        lines.append(",".join(record.get(column, "") for column in header))
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
@HYPOTHESIS
@given(header=headers, records=rows, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_import_is_all_or_nothing_for_any_csv(toy_instrument, facility, header, records, encoding):
    text = to_csv(header, records)
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode("utf-8")
    before = snapshot()
    try:
        summary = import_responses(
            facility=facility, round_label=f"R{next(labels)}", content=content
        )
    except ImportRejected as rejection:
        assert rejection.errors and all(isinstance(e, str) and e for e in rejection.errors)
        assert snapshot() == before
    else:
        assert Answer.objects.filter(respondent__round=summary.round).count() == summary.answers
        assert summary.answers == len([r for r in records if any(v.strip() for v in r.values())])


@pytest.mark.django_db
@HYPOTHESIS
@given(content=st.binary(max_size=400))
def test_import_never_fails_on_arbitrary_bytes(toy_instrument, facility, content):
    before = snapshot()
    try:
        import_responses(facility=facility, round_label=f"B{next(labels)}", content=content)
    except ImportRejected:
        assert snapshot() == before


@pytest.fixture
def respondent_token(open_round_):
    client = Client()
    role = Role.objects.get(instrument=open_round_.instrument, code="nurse")
    response = client.post(
        reverse("respondent-start", args=[open_round_.link_token]),
        {"role": role.pk, "nonce": "h" * 30},
    )
    return response["Location"].split("/")[2]


field_names = st.sampled_from(
    [
        "item-LEGAL-1",
        "item-LEGAL-2",
        "item-POLICY-1",
        "item-EVAL-1",
        "item-COMMS-3",
        "direction",
        "csrfmiddlewaretoken",
        "nonce",
        "role",
    ]
) | st.text(max_size=20)
field_values = (
    st.sampled_from(["1", "5", "DK", "NA", "next", "back", "later", "later", ""])
    | st.text(max_size=50)
    | st.integers(-(10**18), 10**18).map(str)
    | st.just("9" * 5000)
)


def answers_by_code():
    return {a.item.code: (a.kind, a.value) for a in Answer.objects.select_related("item")}


EXPECTED = {"1": ("scale", 1), "5": ("scale", 5), "DK": ("dk", None), "NA": ("na", None)}


@pytest.mark.django_db
@HYPOTHESIS
@given(data=st.dictionaries(field_names, field_values, max_size=10), number=st.integers(0, 8))
def test_questionnaire_posts_never_fail_and_store_only_what_the_page_asked(
    open_round_, respondent_token, settings, data, number
):
    settings.RESPONDENT_RATE = "100000/m"  # this test posts far faster than a person
    before = answers_by_code()
    response = Client().post(reverse("respondent-page", args=[respondent_token, number]), data)
    if not 1 <= number <= 5:
        assert response.status_code == 404
        assert answers_by_code() == before
        return
    assert response.status_code in (200, 302)
    page_codes = set(
        Item.objects.filter(
            determinant__domain__instrument=open_round_.instrument,
            determinant__domain__position=number - 1,
        ).values_list("code", flat=True)
    )
    after = answers_by_code()
    changed = {code for code in after if after[code] != before.get(code)}
    # only statements of the posted page change, and only to the value that was posted
    assert changed <= page_codes
    for code in changed:
        assert after[code] == EXPECTED[data[f"item-{code}"]]
    if response.status_code == 200:  # the form came back with a message: nothing saved
        assert changed == set()


@pytest.mark.django_db
def test_a_finished_respondent_posting_again_changes_nothing(open_round_, respondent_token):
    client = Client()
    for number in range(1, 6):
        domain_items = Item.objects.filter(
            determinant__domain__instrument=open_round_.instrument,
            determinant__domain__position=number - 1,
        )
        data = {f"item-{item.code}": "4" for item in domain_items}
        client.post(reverse("respondent-page", args=[respondent_token, number]), data)
    assert Respondent.objects.get().is_finished
    before = list(Answer.objects.order_by("pk").values_list("pk", "kind", "value"))
    for number in range(1, 6):
        response = client.post(
            reverse("respondent-page", args=[respondent_token, number]),
            {"item-LEGAL-1": "1", "direction": "later"},
        )
        assert response.status_code == 302
        assert response["Location"].endswith("/done/")
    assert list(Answer.objects.order_by("pk").values_list("pk", "kind", "value")) == before
