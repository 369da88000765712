"""The intervention catalogue and each facility's inventory."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from readiness.models import FacilityIntervention, Intervention, Round
from readiness.services.facilities import open_round
from tests.clients import login
from tests.conftest import ROOT
from tests.pages import element, elements, text_of


@pytest.fixture
def catalogue(db):
    call_command("load_interventions", stdout=StringIO())
    return list(Intervention.objects.all())


def test_the_catalogue_names_the_interventions_health_systems_adopt(catalogue):
    codes = {i.code for i in catalogue}
    assert len(catalogue) >= 13
    assert {
        "AGENT-PROTOCOL",
        "NO-STATUS-RECORDING",
        "KNOW-YOUR-RIGHTS",
        "LEGAL-HELP",
        "FAMILY-PREPAREDNESS",
        "STAFF-TRAINING",
        "COMMUNITY-RESPONSE",
    } <= codes
    assert all(i.description and i.source for i in catalogue)


def test_loading_the_catalogue_again_updates_in_place(catalogue, tmp_path):
    data = json.loads((ROOT / "fixtures" / "interventions.json").read_text())
    data["interventions"][0]["name"] = "Agent protocol, revised"
    path = tmp_path / "i.json"
    path.write_text(json.dumps(data))
    call_command("load_interventions", str(path), stdout=StringIO())
    assert Intervention.objects.count() == len(catalogue)
    assert Intervention.objects.get(code="AGENT-PROTOCOL").name == "Agent protocol, revised"
    path.write_text('{"interventions": [{"code": "X"}]}')
    with pytest.raises(CommandError):
        call_command("load_interventions", str(path), stdout=StringIO())
    assert not Intervention.objects.filter(code="X").exists()


def test_a_facility_records_where_it_stands(facility, owner, catalogue):
    first, second = catalogue[:2]
    client = login(owner)
    url = reverse("facility-interventions", args=[facility.slug])
    response = client.post(
        url,
        {
            f"status-{first.pk}": "in_place",
            f"since-{first.pk}": "2024-05-01",
            f"status-{second.pk}": "planned",
        },
    )
    assert response.status_code == 302
    assert {
        (e.intervention_id, e.status, str(e.since)) for e in FacilityIntervention.objects.all()
    } == {(first.pk, "in_place", "2024-05-01"), (second.pk, "planned", "None")}
    assert element(client.get(url).content.decode(), f"id_since-{first.pk}")["value"] == (
        "2024-05-01"
    )
    client.post(url, {f"status-{first.pk}": "in_place", f"status-{second.pk}": ""})
    assert list(FacilityIntervention.objects.values_list("intervention_id", flat=True)) == [
        first.pk
    ]
    html = client.get(url).content.decode()
    assert selected(html, f"id_status-{first.pk}") == ["in_place"]
    assert selected(html, f"id_status-{second.pk}") == [""]  # "Not recorded"
    assert "value" not in element(html, f"id_since-{first.pk}")  # not sent: cleared


def selected(html: str, select_id: str) -> list[str]:
    return [
        a["value"] for tag, a in elements(html, select_id) if tag == "option" and "selected" in a
    ]


@pytest.mark.parametrize("data", [{"since": "yesterday"}, {"status": "finished"}])
def test_bad_inventory_input_saves_nothing(facility, owner, catalogue, data):
    first = catalogue[0]
    payload = {
        f"status-{first.pk}": data.get("status", "planned"),
        f"since-{first.pk}": data.get("since", ""),
    }
    response = login(owner).post(reverse("facility-interventions", args=[facility.slug]), payload)
    assert response.status_code == 200
    assert not FacilityIntervention.objects.exists()
    html = response.content.decode()
    # the wrong entry is marked, and tied to its message
    kind, message = (
        ("since", "Enter a valid date.")
        if "since" in data
        else ("status", "Choose one of the statuses shown.")
    )
    field = element(html, f"id_{kind}-{first.pk}")
    assert field["aria-invalid"] == "true" and field["class"].split().count("is-invalid") == 1
    assert text_of(html, field["aria-describedby"]) == message
    if kind == "since":
        assert field["value"] == "yesterday"  # kept as typed


def test_viewers_read_but_cannot_change_the_inventory(facility, viewer, catalogue):
    url = reverse("facility-interventions", args=[facility.slug])
    client = login(viewer)
    html = client.get(url).content.decode()
    fields = [f"id_{kind}-{i.pk}" for i in catalogue for kind in ("status", "since")]
    assert all("disabled" in element(html, field) for field in fields)
    assert client.post(url, {f"status-{catalogue[0].pk}": "planned"}).status_code == 403
    assert not FacilityIntervention.objects.exists()


def test_a_round_can_name_the_intervention_it_prepares_for(facility, owner, instrument, catalogue):
    client = login(owner)
    client.post(
        reverse("round-open", args=[facility.slug]),
        {"label": "Before the protocol", "intervention": catalogue[0].pk},
    )
    round_ = Round.objects.get(label="Before the protocol")
    assert round_.intervention == catalogue[0]
    html = client.get(round_.get_absolute_url()).content.decode()
    assert "This round prepares for:" in html and catalogue[0].name in html
    plain = open_round(facility=facility, label="Plain", alongside_open=True)
    assert "prepares for" not in client.get(plain.get_absolute_url()).content.decode()
