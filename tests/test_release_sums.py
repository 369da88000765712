"""Published results grow by what the people joining them add (services/releases.py):
a step reads the joining people's answers only, never the round's, and the figures it
keeps are the ones counting everyone afresh gives."""

import io
import random
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models import Avg

from readiness import scoring
from readiness.models import DeterminantScore, Instrument, Item, Respondent, Round, RoundRelease
from readiness.services import releases
from readiness.services.releases import refresh_release
from tests.conftest import import_rows

# Each step brings at least three people of each role in it, all of whom answer every
# statement asked of them, so that the release takes every step (services/releases.py
# holds back a step that would move a shown figure by one or two people).
STEPS = (
    ("nurse", "front_desk", "security"),
    ("nurse",),
    ("physician", "security"),
    ("front_desk",),
)


def answers(instrument, respondent: str, role: str, rng: random.Random, skip: float) -> list:
    """One respondent's rows: every kind of answer the instrument takes, and with
    ``skip``, some statements left out (a determinant rated under half its statements
    has no score)."""
    kinds = ["1", "2", "3", "4", "5"] * 3 + ["DK"]
    kinds += ["NA"] if instrument.offers_not_applicable else []
    rows = []
    for item in Item.objects.filter(determinant__domain__instrument=instrument):
        if item.is_asked_of(role) and rng.random() >= skip:
            rows.append((respondent, role, item.code, rng.choice(kinds)))
    return rows


def import_step(facility, instrument, first: int, roles, rng, skip=0.0) -> int:
    """Three people of each role, numbered from ``first``; the next free number."""
    rows = []
    for n, role in enumerate(role for role in roles for _ in range(3)):
        rows += answers(instrument, f"r{first + n}", role, rng, skip)
    import_rows(facility, "Spring", rows)
    return first + 3 * len(roles)


def assert_same_figures(kept: dict, afresh: dict) -> None:
    """Counts equal; means, squares and agreement equal but for the last bits of a sum
    taken in another order."""
    for key in ("respondents", "roles", "languages", "items", "item_cells"):
        assert kept[key] == afresh[key], key
    assert kept["determinants"].keys() == afresh["determinants"].keys()
    for code, row in afresh["determinants"].items():
        for name, value in row.items():
            if isinstance(value, float):
                assert kept["determinants"][code][name] == pytest.approx(value), (code, name)
            else:
                assert kept["determinants"][code][name] == value, (code, name)
    assert kept["cells"].keys() == afresh["cells"].keys()
    for role, cells in afresh["cells"].items():
        assert kept["cells"][role].keys() == cells.keys()
        for code, (mean, scored) in cells.items():
            assert kept["cells"][role][code][1] == scored
            assert kept["cells"][role][code][0] == pytest.approx(mean)


@pytest.fixture
def both_versions(db):
    call_command("load_instrument", stdout=io.StringIO())
    return list(Instrument.objects.order_by("loaded_at", "pk"))


@pytest.mark.parametrize("version", ["2026.1", "2027.1"])
def test_results_grown_step_by_step_equal_results_counted_afresh(both_versions, facility, version):
    instrument = next(i for i in both_versions if i.version == version)
    Round.objects.create(facility=facility, instrument=instrument, label="Spring")
    rng = random.Random(version)
    first = import_step(facility, instrument, 0, STEPS[0], rng, skip=0.3)
    for roles in STEPS[1:]:
        first = import_step(facility, instrument, first, roles, rng)
    round_ = facility.rounds.get(label="Spring")
    assert round_.instrument.version == version
    release = RoundRelease.objects.get(round=round_)
    assert release.number == 4 and release.respondents == first
    # what the dashboard would read, against every published answer counted again
    assert_same_figures(release.aggregates, scoring.aggregate(round_, published=True))
    # the means against the database's own averages of the published people's scores
    published = DeterminantScore.objects.filter(
        respondent__round=round_, respondent__published=True
    )
    for code, mean in published.values_list("determinant__code").annotate(Avg("score")):
        assert release.aggregates["determinants"][code]["mean"] == pytest.approx(mean)
    for role, code, mean in published.values_list(
        "respondent__role__code", "determinant__code"
    ).annotate(Avg("score")):
        assert release.aggregates["cells"][role][code][0] == pytest.approx(mean)
    # and the determinants, cells and agreement really vary, or the comparison is empty
    rows = release.aggregates["determinants"].values()
    assert len({round(row["mean"], 6) for row in rows if row["mean"] is not None}) > 3
    assert all(row.get("rwg") is not None for row in rows)


def test_a_step_reads_only_the_answers_of_the_people_joining(facility, instrument):
    rng = random.Random(1)
    import_step(facility, instrument, 0, STEPS[0] * 3, rng)
    round_ = facility.rounds.get(label="Spring")
    seen = []
    real = scoring.aggregate

    def spy(round_, **kwargs):
        seen.append(kwargs)
        return real(round_, **kwargs)

    with mock.patch.object(releases, "aggregate", spy):
        import_step(facility, instrument, 27, ("nurse",), rng)
    joined = set(
        Respondent.objects.filter(round=round_, import_id__in=["r27", "r28", "r29"]).values_list(
            "pk", flat=True
        )
    )
    assert [set(call.get("respondent_ids", ())) for call in seen] == [joined]
    assert RoundRelease.objects.get(round=round_).respondents == 30


def test_results_kept_before_their_sums_are_counted_afresh_at_the_next_step(facility, instrument):
    rng = random.Random(2)
    import_step(facility, instrument, 0, STEPS[0], rng)
    round_ = facility.rounds.get(label="Spring")
    release = RoundRelease.objects.get(round=round_)
    old = {key: value for key, value in release.aggregates.items() if key != "sums"}
    RoundRelease.objects.filter(pk=release.pk).update(aggregates=old)
    import_step(facility, instrument, 9, ("nurse",), rng)
    release.refresh_from_db()
    assert release.respondents == 12 and "sums" in release.aggregates
    assert_same_figures(release.aggregates, scoring.aggregate(round_, published=True))
    # and from then on it grows by its sums
    import_step(facility, instrument, 12, ("security",), rng)
    release.refresh_from_db()
    assert release.respondents == 15
    assert_same_figures(release.aggregates, scoring.aggregate(round_, published=True))


def test_results_kept_with_nobody_before_languages_were_counted_grow_by_the_joiners_languages(
    facility, instrument
):
    """Migration 0026 counted the languages of every release with people in it; one with
    nobody yet has none, and grows by its sums when people join."""
    round_ = Round.objects.create(facility=facility, instrument=instrument, label="Spring")
    release = refresh_release(round_id=round_.pk)
    before = {key: value for key, value in release.aggregates.items() if key != "languages"}
    RoundRelease.objects.filter(pk=release.pk).update(aggregates=before)
    import_step(facility, instrument, 0, STEPS[0], random.Random(5))
    release.refresh_from_db()
    assert release.respondents == 9
    assert release.aggregates["languages"] == {"": 9}  # imported: language not recorded
    assert_same_figures(release.aggregates, scoring.aggregate(round_, published=True))


def test_sums_of_another_shape_are_refused_rather_than_added_in_part():
    """A statement's ratings are [people, total, squares] in both sets; a list of another
    length (a corrupted release) fails loudly instead of yielding a wrong agreement."""
    base, extra = scoring.empty_aggregates(), scoring.empty_aggregates()
    base["sums"]["ratings"] = {"D1": {"D1.1": [2, 7, 25]}}
    extra["sums"]["ratings"] = {"D1": {"D1.1": [1, 4]}}
    with pytest.raises(ValueError):
        scoring.combine(base, extra)


def test_a_round_with_nobody_yet_keeps_empty_results(open_round_):
    release = refresh_release(round_id=open_round_.pk)
    assert release.respondents == 0
    assert release.aggregates == scoring.empty_aggregates()


def test_a_round_from_before_published_results_gets_them_when_first_read(facility, instrument):
    from readiness.disclosure import release_status, released_summaries

    rng = random.Random(3)
    import_step(facility, instrument, 0, STEPS[0], rng)
    round_ = facility.rounds.get(label="Spring")
    kept = released_summaries([round_.pk])[round_.pk]
    RoundRelease.objects.filter(round=round_).delete()  # as a round from before releases
    assert released_summaries([round_.pk])[round_.pk] == kept
    assert RoundRelease.objects.get(round=round_).respondents == 9
    # the dashboard reads how far results are published before the results themselves
    RoundRelease.objects.filter(round=round_).delete()
    assert release_status(round_).published == 9


def test_results_published_before_answers_per_statement_get_them_when_first_read(
    facility, instrument
):
    """Published results kept before answers per statement were: the same people are
    counted again, with them, on the first read, and kept; not the one waiting."""
    from readiness.disclosure import release_for

    rng = random.Random(4)
    import_step(facility, instrument, 0, STEPS[0], rng)
    round_ = facility.rounds.get(label="Spring")
    import_rows(facility, "Spring", answers(instrument, "late", "nurse", rng, 0.0))
    assert round_.respondents.filter(published=False).count() == 1
    release = RoundRelease.objects.get(round=round_)
    # (answers per statement, for everyone and by role, came in together)
    before = {
        key: value
        for key, value in release.aggregates.items()
        if key not in {"items", "item_cells"}
    }
    RoundRelease.objects.filter(pk=release.pk).update(aggregates=before)
    release_for(round_)
    kept = RoundRelease.objects.get(pk=release.pk)
    published = scoring.aggregate(round_, published=True)
    assert kept.aggregates["items"] == published["items"] != scoring.aggregate(round_)["items"]
    assert kept.aggregates["item_cells"] == published["item_cells"]
    assert (kept.respondents, kept.summary, kept.most_scored) == (
        release.respondents,
        release.summary,
        release.most_scored,
    )
