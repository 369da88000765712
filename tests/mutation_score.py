"""The mutation score of `make mutation` and `make mutation-sample` (docs/testing.md),
from `mutmut results --all true` on standard input: fails below the documented score,
and lists every survivor that is not an accepted equivalent one.

    mutmut results --all true | python tests/mutation_score.py MIN_SCORE [PATTERN ...]

Not collected by pytest (not test_*.py): the Makefile runs it after mutmut.
"""

import fnmatch
import sys

# Mutants that change nothing a user could notice (docs/testing.md says why of each):
# none may stand in for a missing test. Their numbers move when the function changes.
ACCEPTED = {
    # values_list(flat=True) without "pk" gives the first column, the primary key
    "readiness.permissions.x_facility_access__mutmut_56",
    "readiness.benchmarks.x_excluded_facilities__mutmut_42",
    # another separator before hashing, or one more character of the digest, still
    # gives one key per set of facilities
    "readiness.benchmarks.x_cache_token__mutmut_3",
    "readiness.benchmarks.x_cache_token__mutmut_9",
    # statistics.quantiles divides into quarters unless told otherwise (n=4)
    "readiness.benchmarks.x_summarise__mutmut_18",
    # a partner's scope without benchmarks as None rather than False: only ever read as
    # true or false
    "readiness.disclosure.readers.xǁScopeǁfor_access__mutmut_4",
    # DataFrame.astype(None) is astype(float64)
    "readiness.disclosure.quality.x_instrument_quality__mutmut_103",
    # a scalar subquery of two rows: SQLite, which mutmut runs on, reads the first (the
    # latest round), and PostgreSQL refuses it, which its suite's run of the same tests
    # catches
    "readiness.benchmarks.x_contributions__mutmut_35",
    # defaults for a role missing from the cells, never read: only roles with at least
    # the minimum of people reach them, each person with score rows (and restrict's
    # results hold an entry for every shown role)
    "readiness.disclosure.groups.x_restrict__mutmut_104",
    "readiness.disclosure.groups.x_restrict__mutmut_106",
    "readiness.scoring.assembly.x_assemble__mutmut_196",
    "readiness.scoring.assembly.x_assemble__mutmut_198",
    # a shown role without a cell for a determinant counted as 1 rather than 0: under
    # the minimum either way, hidden, and added back to what the others leave out
    "readiness.disclosure.groups.x_restrict__mutmut_109",
    # a role nobody of is published counted as 1 rather than 0: under the minimum
    # either way, merged into "small roles"
    "readiness.disclosure.answers.x_answer_level_role__mutmut_8",
    # owners who chose no minimum counted as choosing 1 rather than 0: the site's own
    # minimum (at least 3) is larger either way
    "readiness.disclosure.groups.x_smallest_group__mutmut_6",
    # "or" for "and" in the first check of published results: most_scored is never more
    # than respondents, and a release whose most scored determinant has fewer than the
    # minimum returns nothing at the next check
    "readiness.disclosure.releases.x_summarise__mutmut_2",
    # what the query of published summaries defers: bytes read, not what is shown
    "readiness.disclosure.releases.x_released_summaries__mutmut_5",
    "readiness.disclosure.releases.x_released_summaries__mutmut_6",
    # another size of the pieces read while looking for anything but blanks, or the
    # rest at once: memory, not what the check finds
    "readiness.services.imports.reading.x__header__mutmut_9",
    "readiness.services.imports.reading.x__header__mutmut_11",
    "readiness.services.imports.reading.x__header__mutmut_12",
    # signed 8-byte keys or line numbers: both stay far below 2**63
    "readiness.services.imports.reading.x__check__mutmut_22",
    "readiness.services.imports.reading.x__check__mutmut_25",
    # a respondent's first role line before their role is known: read only once it is
    "readiness.services.imports.reading.x__check__mutmut_80",
    "readiness.services.imports.reading.x__check__mutmut_81",
    # 2 << n for 1 << n: still one bit per statement, each its own
    "readiness.services.imports.reading.x__check__mutmut_92",
    # 1 rather than 0 for the earlier line in a message never shown
    "readiness.services.imports.reading.x__check__mutmut_107",
    # the code kept for a line whose value is refused: the file is refused, never read
    "readiness.services.imports.reading.x__check__mutmut_117",
    # zip's strict over the keys and codes, which are appended together
    "readiness.services.imports.reading.xǁCheckedFileǁanswer_rows__mutmut_4",
    "readiness.services.imports.reading.xǁCheckedFileǁanswer_rows__mutmut_7",
    "readiness.services.imports.reading.xǁCheckedFileǁanswer_rows__mutmut_8",
    # "not blank" as None rather than False: only ever read as true or false
    "readiness.services.imports.reading.xǁ_Countedǁread1__mutmut_27",
    # codec names are read without regard to case
    "readiness.services.imports.reading.x__read__mutmut_14",
    # a hidden determinant's row is read only for its reason: a "dont_know" beside it
    # is never read
    "readiness.disclosure.groups.x_restrict__mutmut_167",
    "readiness.disclosure.groups.x_restrict__mutmut_168",
    # peers' figures set to "" instead of None where the scope leaves benchmarks out:
    # results_json reads them only when the scope has benchmarks
    "readiness.disclosure.readers.x_round_results__mutmut_6",
    # `=` for `+=` over the respondents grouped by status and published: a round has at
    # most one group still answering (nobody still answering is published) and one
    # waiting (finished, not published)
    "readiness.disclosure.readers.x_release_status__mutmut_22",
    "readiness.disclosure.readers.x_release_status__mutmut_27",
    # the points summed without the filter on scored answers: the others hold no value
    # (constraint answer_value_matches_kind), so their points are NULL and SUM skips them
    "readiness.scoring.respondents.x_respondent_scores__mutmut_79",
    "readiness.scoring.respondents.x_respondent_scores__mutmut_81",
    # saving every field of the release rather than the three recounted: the others
    # hold what was read a moment before
    "readiness.disclosure.releases.x_release_for__mutmut_15",
    # (loaded_at, pk) of two instruments compared with <= for <: equal only for the same
    # instrument, which comparable() has returned as it is before (the same version)
    "readiness.scoring.history.x_comparable__mutmut_4",
    # agreement at exactly the chance variance: the formula gives 0 there too
    "readiness.scoring.rules.x_rwg_j__mutmut_6",
    # Decimal.quantize reads only its argument's exponent, 0 for Decimal(2) as for 1
    "readiness.scoring.rules.x_shown__mutmut_11",
    # the round's people read without "imported": the others have no id, so none of
    # them is among the file's
    "readiness.services.imports.storing.x_import_responses__mutmut_42",
    # started_on left to its default, the day (both are the day of the import)
    "readiness.services.imports.storing.x_import_responses__mutmut_111",
    # zip's strict over the ids and roles, which the check appends together
    "readiness.services.imports.storing.x_import_responses__mutmut_115",
    "readiness.services.imports.storing.x_import_responses__mutmut_118",
    "readiness.services.imports.storing.x_import_responses__mutmut_119",
    # the sum of squares of a set where nobody has a score 0 rather than None: only
    # read from two scores on (standard_error)
    "readiness.scoring.sums.x_combine__mutmut_59",
}
# A mutant that makes the tests run past their time limit is caught, as mutmut counts it.
CAUGHT = {"killed", "timeout"}
COUNTED = CAUGHT | {"survived", "no tests", "suspicious", "segfault"}


def main(argv: list[str]) -> int:
    minimum = float(argv[1])
    patterns = argv[2:] or ["*"]
    statuses = {}
    for line in sys.stdin:
        name, _, status = line.strip().rpartition(": ")
        if name and any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
            statuses[name] = status
    unmatched = [p for p in patterns if not any(fnmatch.fnmatch(n, p) for n in statuses)]
    unchecked = sorted(name for name, status in statuses.items() if status not in COUNTED)
    if unmatched or unchecked:
        # a renamed function, or a run cut short, must not shrink the sample silently
        print(f"Patterns matching no mutant: {unmatched}; mutants not checked: {unchecked[:10]}")
        return 1
    counted = {name: status for name, status in statuses.items() if status in COUNTED}
    killed = [name for name, status in counted.items() if status in CAUGHT]
    # an accepted name the tests now catch counts once, as caught, and is named: its
    # number may have moved onto another mutant when its function changed
    accepted = [name for name in counted if name in ACCEPTED and name not in killed]
    stale = sorted(name for name in killed if name in ACCEPTED)
    survivors = sorted(set(counted) - set(killed) - set(accepted))
    if not counted:
        print("No mutant was checked: run mutmut first.")
        return 1
    score = 100 * (len(killed) + len(accepted)) / len(counted)
    print(
        f"{len(counted)} mutants: {len(killed)} caught, {len(accepted)} accepted as "
        f"equivalent, {len(survivors)} survived; score {score:.1f}% (at least {minimum}%)"
    )
    for name in survivors:
        print(f"  survived: {name} ({counted[name]})")
    for name in stale:
        print(f"  accepted as equivalent, yet caught (check its number): {name}")
    return 0 if score >= minimum else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
