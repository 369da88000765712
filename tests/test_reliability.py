"""How good the questions are (readiness/reliability.py, disclosure.instrument_quality,
the network's quality page)."""

import math

import pytest
from django.urls import reverse

from readiness import disclosure
from readiness.models import Facility, Network, NetworkLeader
from readiness.services.facilities import create_facility
from readiness.services.instrument import load_instrument
from tests.clients import Client
from tests.conftest import import_rows, make_user, one_domain_instrument, routed_toy
from tests.pages import elements, table

# pingouin's documented example of cronbach_alpha (dataset "cronbach_wide_missing":
# 12 people, 11 yes/no items, 5 answers missing): alpha 0.732660835214447 with pairwise
# covariances, as R's psych::alpha(data, use="pairwise"). Yes/no is kept as 2/1 on the
# 1-5 scale: alpha does not change when every answer moves by the same amount.
WIDE_MISSING = """\
1 1 1 1 1 1 1 1 1 1 1
1 1 1 1 1 1 1 1 0 1 0
. 0 1 1 . 1 1 1 1 0 0
1 1 1 0 1 1 0 1 1 0 0
1 1 1 1 1 0 0 0 1 0 0
0 1 . 0 1 1 1 1 0 0 0
1 1 1 1 0 0 1 0 0 0 0
1 1 1 1 1 0 0 0 0 0 0
0 1 0 1 1 0 0 0 0 1 0
1 0 0 1 0 1 0 0 . 0 0
1 1 1 0 0 0 0 0 0 0 0
1 0 0 1 0 0 0 0 0 0 0
"""
PUBLISHED_ALPHA = 0.732660835214447


def import_published_example(site):
    """WIDE_MISSING as 12 people's answers, yes/no as 2/1, missing answers left out."""
    rows = []
    for person, line in enumerate(WIDE_MISSING.splitlines()):
        for n, answer in enumerate(line.split(), 1):
            if answer != ".":
                rows.append((f"p{person}", "nurse", f"Q{n}", int(answer) + 1))
    import_rows(site, "R", rows)


def one_determinant_instrument(version="alpha-example", *, reversed_items=(), **settings):
    """One determinant of 11 statements, Q1 to Q11; ``reversed_items`` are written the
    other way (reverse-scored); ``settings``: more of the instrument file's fields."""
    statements = [
        {"code": f"Q{n}", "text": f"Statement {n}.", "reverse_scored": n in reversed_items}
        for n in range(1, 12)
    ]
    return one_domain_instrument(
        version, [{"code": "X", "name": "Example", "items": statements}], **settings
    )


def nurses_on_comms(codes=("COMMS-1", "COMMS-2", "COMMS-4")) -> list[tuple]:
    """Five nurses rating these of the toy questionnaire's communication statements that
    everyone is asked, varied alike (COMMS-2, written the other way, rated the other
    way)."""
    value = {
        "COMMS-1": lambda person: 1 + person % 5,
        "COMMS-2": lambda person: 5 - person % 5,
        "COMMS-4": lambda person: 1 + (person + 1) % 5,
    }
    return [
        (f"n{person}", "nurse", code, value[code](person)) for person in range(5) for code in codes
    ]


def nurses(prefix: str, count: int) -> list[tuple]:
    """``count`` nurses rating the example's 11 statements, varied."""
    return [
        (f"{prefix}{p}", "nurse", f"Q{n}", 1 + (p + n) % 5)
        for p in range(count)
        for n in range(1, 12)
    ]


@pytest.fixture
def network_of_one(db):
    network = Network.objects.create(name="Net", slug="net")
    site = create_facility(name="Site", slug="site", type="fqhc", state="CA")
    Facility.objects.filter(pk=site.pk).update(network=network)
    leader = make_user("leader")
    NetworkLeader.objects.create(user=leader, network=network)
    return network, Facility.objects.get(pk=site.pk), leader


def test_alpha_reproduces_the_published_worked_example(network_of_one):
    network, site, leader = network_of_one
    instrument = one_determinant_instrument()
    import_published_example(site)
    (row,) = disclosure.instrument_quality([site], instrument)
    assert math.isclose(row.reliability.alpha, PUBLISHED_ALPHA, rel_tol=1e-9)
    assert row.reliability.respondents == 12
    # the leader's page shows it, with the number of people behind it
    client = Client()
    client.force_login(leader)
    html = client.get(reverse("network-quality", args=[network.slug])).content.decode()
    assert table(html, "quality-table")["Example"][:2] == ["12", "0.73"]


def test_the_leader_chooses_the_questionnaire_version(network_of_one):
    network, site, leader = network_of_one
    one_determinant_instrument()
    import_rows(site, "Old", nurses("a", 4))
    one_determinant_instrument("beta-example")  # newer: new rounds use it
    import_rows(site, "New", nurses("b", 5))
    client = Client()
    client.force_login(leader)
    url = reverse("network-quality", args=[network.slug])

    def shown(query):
        html = client.get(url, query).content.decode()
        options = [attrs for tag, attrs in elements(html, "id_version") if tag == "option"]
        chosen = [option["value"] for option in options if "selected" in option]
        people = table(html, "quality-table")["Example"][0]
        return [option["value"] for option in options], chosen, people

    versions = ["beta-example", "alpha-example"]
    assert shown({}) == (versions, ["beta-example"], "5")  # the newest
    assert shown({"version": "alpha-example"}) == (versions, ["alpha-example"], "4")
    assert shown({"version": "1999.1"}) == (versions, ["beta-example"], "5")


def test_a_statement_that_goes_against_the_others_is_flagged(network_of_one):
    network, site, leader = network_of_one
    instrument = one_determinant_instrument()
    rows = []
    for person in range(10):
        level = 1 + person % 5
        for n in range(1, 12):
            value = 6 - level if n == 11 else level  # Q11 runs the other way
            rows.append((f"p{person}", "nurse", f"Q{n}", value))
    import_rows(site, "R", rows)
    (row,) = disclosure.instrument_quality([site], instrument)
    fits = {fit.code: fit for fit in row.reliability.items}
    assert fits["Q11"].weak and fits["Q11"].item_total < 0
    assert not any(fits[f"Q{n}"].weak for n in range(1, 11))


def test_a_statement_written_the_other_way_is_turned_before_it_is_judged(network_of_one):
    """Q11 is reverse-scored: disagreeing with it is agreeing with the others, so the same
    answers as above make it fit, not go against them."""
    _, site, _ = network_of_one
    instrument = one_determinant_instrument(reversed_items={11})
    rows = []
    for person in range(10):
        level = 1 + person % 5
        for n in range(1, 12):
            rows.append((f"p{person}", "nurse", f"Q{n}", 6 - level if n == 11 else level))
    import_rows(site, "R", rows)
    (row,) = disclosure.instrument_quality([site], instrument)
    fits = {fit.code: fit for fit in row.reliability.items}
    assert math.isclose(fits["Q11"].item_total, 1) and not fits["Q11"].weak
    assert math.isclose(row.reliability.alpha, 1)


def test_dont_know_counts_as_neither_where_the_questionnaire_says_so(network_of_one):
    """With "don't know" scored as the neutral middle, a "don't know" weighs in alpha
    exactly as "neither agree nor disagree" (3) does, on a statement written the other
    way (Q2) too."""
    _, site, _ = network_of_one
    instrument = one_determinant_instrument(dont_know_scoring="neutral", reversed_items={2})
    answers = [(f"p{p}", "nurse", f"Q{n}", 1 + (p * n) % 5) for p in range(6) for n in range(1, 12)]
    neither = [
        (p, role, q, 3 if (p, q) in {("p1", "Q2"), ("p4", "Q7")} else v)
        for p, role, q, v in answers
    ]
    import_rows(site, "A", neither)
    (with_neither,) = disclosure.instrument_quality([site], instrument)
    Facility.objects.get(pk=site.pk).rounds.all().delete()
    dont_know = [
        (p, role, q, "DK" if (p, q) in {("p1", "Q2"), ("p4", "Q7")} else v)
        for p, role, q, v in answers
    ]
    import_rows(site, "B", dont_know)
    (with_dont_know,) = disclosure.instrument_quality([site], instrument)
    assert with_dont_know.reliability.respondents == 6
    assert math.isclose(with_dont_know.reliability.alpha, with_neither.reliability.alpha)
    assert [fit.item_total for fit in with_dont_know.reliability.items] == pytest.approx(
        [fit.item_total for fit in with_neither.reliability.items]
    )


def test_nothing_is_shown_from_fewer_than_the_largest_minimum_of_the_sites(network_of_one):
    _, site, _ = network_of_one
    instrument = one_determinant_instrument()
    rows = [(f"p{p}", "nurse", f"Q{n}", 1 + (p + n) % 5) for p in range(3) for n in range(1, 12)]
    import_rows(site, "R", rows)
    (row,) = disclosure.instrument_quality([site], instrument)
    assert row.reliability.respondents == 3
    Facility.objects.filter(pk=site.pk).update(min_group=4)
    (row,) = disclosure.instrument_quality([Facility.objects.get(pk=site.pk)], instrument)
    assert row.reliability is None and row.hidden == disclosure.Hidden.FEWER_THAN_MINIMUM


def test_a_statement_asked_of_one_role_does_not_break_the_areas_reliability(network_of_one):
    """COMMS-3 is asked of physicians only; one physician answered. Alpha comes from the
    statements every role is asked; COMMS-3's fit is hidden (fewer than 3 behind it),
    and how many answered it is never shown, since such counts give role sizes away."""

    _, site, _ = network_of_one
    instrument = load_instrument(data=routed_toy()).instrument
    rows = [("doc", "physician", code, "4") for code in ("COMMS-1", "COMMS-2", "COMMS-3")]
    rows += nurses_on_comms()
    import_rows(site, "R", rows)
    comms = next(
        row
        for row in disclosure.instrument_quality([site], instrument)
        if row.determinant.code == "COMMS"
    )
    assert comms.reliability.alpha is not None
    fits = {fit.code: fit for fit in comms.reliability.items}
    assert fits["COMMS-3"].item_total is None and not fits["COMMS-3"].enough
    assert fits["COMMS-3"].respondents is None
    assert fits["COMMS-1"].respondents == 6


def test_researchers_get_the_same_figures_from_the_command_line(network_of_one):
    import json
    from io import StringIO

    from django.core.management import call_command

    _, site, _ = network_of_one
    one_determinant_instrument()
    import_published_example(site)
    out = StringIO()
    call_command("instrument_quality", "--network", "net", stdout=out)
    (determinant,) = json.loads(out.getvalue())["determinants"]
    assert determinant["alpha"] == round(PUBLISHED_ALPHA, 4)
    assert determinant["respondents"] == 12 and determinant["suppressed"] is None


@pytest.mark.parametrize("people", [3, 30])
def test_the_quality_page_costs_the_same_queries_whatever_the_number_of_answers(
    network_of_one, people, django_assert_num_queries
):
    """Session, user, the second step's device, network, its sites, the versions they
    used, what the figures read (the key they are kept under), the answers (one query);
    the instrument's structure is read once per process (warmed first). Shown again,
    the figures are not worked out again."""
    network, site, leader = network_of_one
    instrument = one_determinant_instrument()
    rows = [
        (f"p{p}", "nurse", f"Q{n}", 1 + (p + n) % 5) for p in range(people) for n in range(1, 12)
    ]
    import_rows(site, "R", rows)
    disclosure.instrument_quality([site], instrument)  # warms the structure
    client = Client()
    client.force_login(leader)
    url = reverse("network-quality", args=[network.slug])
    with django_assert_num_queries(8):
        response = client.get(url)
    assert table(response.content.decode(), "quality-table")["Example"][0] == str(people)
    with django_assert_num_queries(7):
        again = client.get(url)
    assert table(again.content.decode(), "quality-table") == table(
        response.content.decode(), "quality-table"
    )


def test_the_kept_figures_follow_every_round_they_count_and_nothing_else(network_of_one):
    """Figures are kept until a round published all at once joins, or a minimum moves;
    a round published in steps, which they leave out, leaves them as they are."""
    from readiness.services.access import set_min_group

    network, site, leader = network_of_one
    one_determinant_instrument()
    client = Client()
    client.force_login(leader)
    url = reverse("network-quality", args=[network.slug])

    def people_on_page():
        return table(client.get(url).content.decode(), "quality-table")["Example"][0]

    import_rows(site, "First", nurses("a", 4))
    assert people_on_page() == "4"
    import_rows(site, "Second", nurses("b", 3))  # published all at once: counted
    assert people_on_page() == "7"
    import_rows(site, "Second", nurses("c", 3))  # a second step: left out, with Second
    assert people_on_page() == "4"
    set_min_group(facility=site, min_group=5, by=None)  # "First" has 4: hidden now
    assert people_on_page().startswith("Too few people")


def test_rounds_published_in_steps_are_left_out(network_of_one):
    """A round's second step, with one manager among the people joining, would move a
    statement asked of managers by that manager alone: only rounds published all at
    once count, so the figures move when a whole round's group joins."""
    _, site, _ = network_of_one
    instrument = one_determinant_instrument()

    import_rows(site, "R", nurses("a", 3))
    (row,) = disclosure.instrument_quality([site], instrument)
    assert row.reliability.respondents == 3
    import_rows(site, "R", nurses("b", 3))  # a second step
    (row,) = disclosure.instrument_quality([site], instrument)
    assert row.reliability is None


@pytest.mark.parametrize("bad_first", [True, False])
@pytest.mark.parametrize("rating_both", [("x",), ("x", "y")])
def test_a_round_too_few_rated_two_statements_of_counts_for_nothing(
    network_of_one, rating_both, bad_first
):
    """The same attack, by one person or two rating both statements (under the minimum
    either way), entered before or after a good round: the figures are those of the good
    round alone, as another facility with only that round gets them. (Rounds are taken
    from a set: both orders, so that the bad one also comes first.)"""
    _, site, _ = network_of_one
    instrument = one_determinant_instrument()
    bad = [(p, "nurse", q, v) for p in rating_both for q, v in (("Q1", 5), ("Q2", 1))]
    bad += [(p, "nurse", "Q1", 2) for p in ("b", "c")[: 3 - len(rating_both)]]
    bad += [(p, "nurse", "Q2", 3) for p in ("d", "e")[: 3 - len(rating_both)]]
    good = [(f"p{p}", "nurse", f"Q{n}", 1 + (p * n) % 5) for p in range(5) for n in (1, 2)]
    for label, rows in [("Bad", bad), ("Good", good)][:: 1 if bad_first else -1]:
        import_rows(site, label, rows)
    only_good = create_facility(name="Other", slug="other", type="fqhc", state="CA")
    import_rows(only_good, "Good", good)
    (row,) = disclosure.instrument_quality([site], instrument)
    (expected,) = disclosure.instrument_quality([only_good], instrument)
    assert row.reliability.respondents == expected.reliability.respondents == 5
    assert row.reliability.alpha == expected.reliability.alpha is not None


def test_only_the_facilities_asked_about_count(network_of_one):
    _, site, _ = network_of_one
    instrument = one_determinant_instrument()
    import_rows(site, "R", nurses("a", 4))
    elsewhere = create_facility(name="Elsewhere", slug="elsewhere", type="fqhc", state="CA")
    import_rows(elsewhere, "R", nurses("b", 5))
    (row,) = disclosure.instrument_quality([site], instrument)
    assert row.reliability.respondents == 4


def test_people_waiting_to_be_published_do_not_count(network_of_one):
    """Two latecomers wait for a third before the results take them in: until then the
    figures are the first four's."""
    from readiness.models import Respondent

    _, site, _ = network_of_one
    instrument = one_determinant_instrument()
    import_rows(site, "R", nurses("a", 4))
    (before,) = disclosure.instrument_quality([site], instrument)
    import_rows(site, "R", nurses("b", 2))
    assert Respondent.objects.filter(published=False).count() == 2
    (after,) = disclosure.instrument_quality([site], instrument)
    assert after.reliability.respondents == 4
    assert after.reliability.alpha == before.reliability.alpha is not None


def test_dont_know_is_left_out_where_the_questionnaire_does_not_score_it(network_of_one):
    """By default "don't know" scores nothing: the figures are those of the same answers
    with the "don't know"s left blank."""
    _, site, _ = network_of_one
    instrument = one_determinant_instrument()
    answers = [(f"p{p}", "nurse", f"Q{n}", 1 + (p * n) % 5) for p in range(6) for n in range(1, 12)]
    blanks = {("p0", "Q1"), ("p1", "Q2"), ("p4", "Q7")}
    import_rows(site, "A", [row for row in answers if row[:3:2] not in blanks])
    (left_blank,) = disclosure.instrument_quality([site], instrument)
    Facility.objects.get(pk=site.pk).rounds.all().delete()
    import_rows(site, "B", [(p, r, q, "DK" if (p, q) in blanks else v) for p, r, q, v in answers])
    (dont_know,) = disclosure.instrument_quality([site], instrument)
    assert dont_know.reliability.respondents == 6
    assert math.isclose(dont_know.reliability.alpha, left_blank.reliability.alpha)
    assert [(f.item_total, f.respondents) for f in dont_know.reliability.items] == [
        (pytest.approx(f.item_total), f.respondents) for f in left_blank.reliability.items
    ]


def test_every_area_is_listed_whichever_have_enough_people(db):
    """Only EVAL, the last area, was answered: the two before it are listed as hidden."""

    site = create_facility(name="Site", slug="site", type="fqhc", state="CA")
    instrument = load_instrument(data=routed_toy()).instrument
    rows = [
        (f"p{p}", "nurse", code, 1 + (p + n) % 5)
        for p in range(4)
        for n, code in enumerate(("EVAL-1", "EVAL-2", "EVAL-3"))
    ]
    import_rows(site, "R", rows)
    quality = disclosure.instrument_quality([site], instrument)
    assert [(row.determinant.code, row.hidden) for row in quality] == [
        ("COMMS", disclosure.Hidden.FEWER_THAN_MINIMUM),
        ("PARTNERS", disclosure.Hidden.FEWER_THAN_MINIMUM),
        ("EVAL", None),
    ]
    assert quality[2].reliability.respondents == 4


def test_a_statement_fits_only_with_the_minimum_behind_its_figure(network_of_one):
    """Exactly three people (the minimum) behind each statement: every fit is shown.
    COMMS-3, asked of physicians, rated by three, of whom two also rated a statement
    everyone is asked: its fit would rest on two people, so it is not shown."""

    _, site, _ = network_of_one
    instrument = one_determinant_instrument()
    # low, middle and high raters, so that every statement's correlation is defined
    three = [
        (f"p{p}", "nurse", f"Q{n}", min(5, 1 + 2 * p + (n + p) % 2))
        for p in range(3)
        for n in range(1, 12)
    ]
    import_rows(site, "R", three)
    (row,) = disclosure.instrument_quality([site], instrument)
    assert [(fit.enough, fit.item_total is None) for fit in row.reliability.items] == [
        (True, False)
    ] * 11

    routed_instrument = load_instrument(data=routed_toy()).instrument
    rows = nurses_on_comms()
    rows += [("doc1", "physician", "COMMS-1", 2), ("doc1", "physician", "COMMS-3", 1)]
    rows += [("doc2", "physician", "COMMS-1", 5), ("doc2", "physician", "COMMS-3", 4)]
    rows += [("doc3", "physician", "COMMS-3", 3)]
    import_rows(site, "Routed", rows)
    comms = disclosure.instrument_quality([site], routed_instrument)[0]
    fits = {fit.code: fit for fit in comms.reliability.items}
    assert fits["COMMS-3"].item_total is None and fits["COMMS-3"].enough is False
    assert fits["COMMS-1"].enough is True and fits["COMMS-1"].item_total is not None


def test_a_round_where_nobody_rated_two_common_statements_still_adds_to_routed_fits(
    network_of_one,
):
    """Three physicians each rated one statement everyone is asked (COMMS-1) and COMMS-3,
    asked of them only. Nobody of their round counts for alpha, and no group under the
    minimum does either: their round adds COMMS-3's fit, from three people."""

    _, site, _ = network_of_one
    instrument = load_instrument(data=routed_toy()).instrument
    import_rows(site, "Nurses", nurses_on_comms(("COMMS-1", "COMMS-2")))
    doctors = [("d1", 2, 1), ("d2", 5, 4), ("d3", 3, 3)]
    import_rows(
        site,
        "Physicians",
        [
            row
            for d, one, three in doctors
            for row in ((d, "physician", "COMMS-1", one), (d, "physician", "COMMS-3", three))
        ],
    )
    comms = disclosure.instrument_quality([site], instrument)[0]
    assert comms.reliability.respondents == 5
    fits = {fit.code: fit for fit in comms.reliability.items}
    # points 0, 75, 50 for COMMS-3 against 25, 100, 50 for COMMS-1: r = 39/42
    assert fits["COMMS-3"].enough is True
    assert math.isclose(fits["COMMS-3"].item_total, 13 / 14)


def test_one_person_rating_two_statements_is_not_alphas_whole_group(network_of_one):
    """The reviewer's attack: a second round, imported at once, where Q1 is rated by x,
    b and c and Q2 by x, d and e: each statement has three raters, but only x rated two,
    and alpha rests on the people who rated two. That round is left out: "People" stays
    5 and alpha does not move by x's answers."""
    _, site, _ = network_of_one
    instrument = one_determinant_instrument()
    first = [(f"p{p}", "nurse", f"Q{n}", 1 + (p * n) % 5) for p in range(5) for n in (1, 2)]
    import_rows(site, "First", first)
    (before,) = disclosure.instrument_quality([site], instrument)
    second = [("x", "nurse", "Q1", 5), ("x", "nurse", "Q2", 1)]
    second += [(p, "nurse", "Q1", 2) for p in ("b", "c")]
    second += [(p, "nurse", "Q2", 3) for p in ("d", "e")]
    import_rows(site, "Second", second)
    (after,) = disclosure.instrument_quality([site], instrument)
    assert before.reliability.respondents == after.reliability.respondents == 5
    assert before.reliability.alpha is not None
    assert after.reliability.alpha == before.reliability.alpha


def test_the_command_says_what_is_wrong_with_its_arguments(network_of_one):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    one_determinant_instrument()
    with pytest.raises(CommandError, match="No such instrument"):
        call_command("instrument_quality", "--instrument-version", "1999.1")
    with pytest.raises(CommandError, match="No network with the short name 'nowhere'"):
        call_command("instrument_quality", "--network", "nowhere")
