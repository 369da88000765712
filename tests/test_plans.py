"""Action plans: from a recommended strategy to a tracked step, and whether it helped."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from readiness.models import ActionItem, Round, Strategy
from tests.clients import login
from tests.conftest import full_answers, import_rows
from tests.pages import elements, list_items


def scored(facility, instrument, label, value, opened_on):
    rows = []
    for n in range(3):
        rows += full_answers(
            instrument,
            f"{label}{n}",
            "nurse",
            lambda item: str(6 - value) if item.reverse_scored else str(value),
        )
    round_ = import_rows(facility, label, rows).round
    Round.objects.filter(pk=round_.pk).update(opened_on=opened_on, status="closed")
    round_.refresh_from_db()
    return round_


@pytest.fixture
def baseline(facility, instrument):
    return scored(facility, instrument, "2025", 2, "2025-04-01")  # every score 25: all gaps


def add(client, round_, strategy, **fields):
    url = reverse("plan-add", args=[round_.facility.slug, round_.pk])
    return client.post(
        url, {"strategy": strategy.pk, "title": strategy.name, "status": "planned", **fields}
    )


def test_a_recommended_strategy_becomes_a_step_targeting_its_determinants(
    facility, owner, baseline
):
    strategy = Strategy.objects.get(code="CHAMPION-TIME")
    client = login(owner)
    form = client.get(
        reverse("plan-add", args=[facility.slug, baseline.pk]) + f"?strategy={strategy.pk}"
    )
    assert strategy.rationale in form.content.decode()
    response = add(client, baseline, strategy, owner_name="Nursing director", due_on="2030-01-31")
    assert response["Location"] == reverse("facility-plan", args=[facility.slug])
    item = ActionItem.objects.get()
    assert (item.targets, item.baseline_round, item.owner_name) == (
        ["CHAMPIONS"],
        baseline,
        "Nursing director",
    )
    html = client.get(baseline.get_absolute_url()).content.decode()
    # beside the determinant it targets, among the first three or the others
    (champions,) = [
        line
        for line in list_items(html, "focus-list") + list_items(html, "later-gaps")
        if "Champions" in line.split(" — ")[0]
    ]
    assert "In your plan" in champions and "Give champions protected time" in champions


def test_dashboards_offer_adding_to_the_plan_only_to_those_who_may(
    facility, owner, viewer, baseline
):
    assert "Add to plan" in login(owner).get(baseline.get_absolute_url()).content.decode()
    assert "Add to plan" not in login(viewer).get(baseline.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "query",
    ["", "?strategy=abc", "?strategy=999999"],
)
def test_adding_needs_a_strategy_of_the_rounds_questionnaire(facility, owner, baseline, query):
    url = reverse("plan-add", args=[facility.slug, baseline.pk]) + query
    assert login(owner).get(url).status_code == 404


def test_bad_step_input_is_refused_and_nothing_saved(facility, owner, baseline):
    strategy = Strategy.objects.get(code="CHAMPION-TIME")
    response = add(login(owner), baseline, strategy, due_on="next tuesday")
    assert response.status_code == 200 and "due_on" in response.context["form"].errors
    response = add(login(owner), baseline, strategy, status="finished")
    assert response.status_code == 200
    assert not ActionItem.objects.exists()


def test_status_changes_and_overdue_steps_are_flagged(facility, owner, baseline):
    item = ActionItem.objects.create(
        facility=facility,
        title="Name a backup champion",
        targets=["CHAMPIONS"],
        due_on=timezone.localdate() - timedelta(days=1),
        baseline_round=baseline,
    )
    client = login(owner)
    html = client.get(reverse("facility-plan", args=[facility.slug])).content.decode()
    assert "1 step is overdue." in html and "overdue" in html
    url = reverse("plan-status", args=[facility.slug, item.pk])
    for status in ("in_progress", "done"):
        client.post(url, {"status": status})
        item.refresh_from_db()
        assert item.status == status
        html = client.get(reverse("facility-plan", args=[facility.slug])).content.decode()
        select = elements(html, f"status-{item.pk}-status")
        assert select[0][1]["name"] == "status"
        assert [a["value"] for tag, a in select if tag == "option" and "selected" in a] == [status]
    assert not item.is_overdue
    client.post(url, {"status": "abandoned"})
    item.refresh_from_db()
    assert item.status == "done"
    html = client.get(reverse("facility-plan", args=[facility.slug])).content.decode()
    assert "overdue." not in html


def test_the_plan_shows_whether_the_needle_moved(facility, owner, instrument, baseline):
    ActionItem.objects.create(
        facility=facility, title="Protected time", targets=["CHAMPIONS"], baseline_round=baseline
    )
    client = login(owner)
    url = reverse("facility-plan", args=[facility.slug])
    assert "no round has closed since" in client.get(url).content.decode()
    scored(facility, instrument, "2026", 4, "2026-04-01")  # every score 75
    html = client.get(url).content.decode()
    assert "Champions with backing: 25 → 75 (+50)" in html
    assert "“2026”" in html


def test_the_plan_page_keeps_its_query_count_as_steps_grow(facility, owner, instrument, baseline):
    client = login(owner)
    url = reverse("facility-plan", args=[facility.slug])

    def grow(n):
        for i in range(n):
            ActionItem.objects.create(
                facility=facility,
                title=f"Step {i}",
                targets=["LEGAL"],
                baseline_round=baseline,
                owner_member=owner,
            )

    grow(2)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    grow(8)
    scored(facility, instrument, "2026", 4, "2026-04-01")
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert html.count("Step ") >= 10
    # session, user, the second step's device, membership; then progress.plan_progress:
    # the items, the closed rounds, their published results, the determinants' names
    assert len(large) == len(small) == 8


def test_a_viewer_asking_to_change_what_does_not_exist_gets_404_as_on_round_pages(
    facility, owner, viewer, baseline
):
    """One order everywhere: what the user may not see is 404, then what their level may
    not do is 403; so a missing round or step reads the same on every page."""
    item = ActionItem.objects.create(facility=facility, title="Step", baseline_round=baseline)
    strategy = f"?strategy={Strategy.objects.filter(instrument=baseline.instrument).first().pk}"
    missing = baseline.pk + item.pk + 1000

    def statuses(round_id, item_id):
        urls = [
            ("GET", reverse("round-hand-out", args=[facility.slug, round_id])),
            ("POST", reverse("round-close", args=[facility.slug, round_id])),
            ("GET", reverse("plan-add", args=[facility.slug, round_id]) + strategy),
            ("GET", reverse("plan-edit", args=[facility.slug, item_id])),
            ("POST", reverse("plan-status", args=[facility.slug, item_id])),
        ]
        client = login(viewer)
        return [getattr(client, method.lower())(url).status_code for method, url in urls]

    assert statuses(baseline.pk, item.pk) == [403] * 5
    assert statuses(missing, missing) == [404] * 5
    assert ActionItem.objects.get().status == item.status
