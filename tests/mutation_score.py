"""The mutation score of `make mutation` and `make mutation-sample` (docs/testing.md),
from `mutmut results --all true` on standard input: fails below the documented score,
and lists every survivor that is not an accepted equivalent one.

    mutmut results --all true | python tests/mutation_score.py MIN_SCORE [PATTERN ...]

Not collected by pytest (not test_*.py): the Makefile runs it after mutmut.
"""

import fnmatch
import sys

# Mutants that change nothing a user could notice, with why (docs/testing.md keeps the
# same list): none may stand in for a missing test.
ACCEPTED = {
    # The ordering's last key only breaks ties between shares equal in what they show.
}
COUNTED = {"killed", "survived", "timeout", "no tests", "suspicious", "segfault"}


def main(argv: list[str]) -> int:
    minimum = float(argv[1])
    patterns = argv[2:] or ["*"]
    statuses = {}
    for line in sys.stdin:
        name, _, status = line.strip().rpartition(": ")
        if name and any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
            statuses[name] = status
    counted = {name: status for name, status in statuses.items() if status in COUNTED}
    killed = [name for name, status in counted.items() if status == "killed"]
    accepted = [name for name in counted if name in ACCEPTED]
    survivors = sorted(set(counted) - set(killed) - set(accepted))
    if not counted:
        print("No mutant was checked: run mutmut first.")
        return 1
    score = 100 * (len(killed) + len(accepted)) / len(counted)
    print(
        f"{len(counted)} mutants: {len(killed)} killed, {len(accepted)} accepted as "
        f"equivalent, {len(survivors)} survived; score {score:.1f}% (at least {minimum}%)"
    )
    for name in survivors:
        print(f"  survived: {name} ({counted[name]})")
    return 0 if score >= minimum else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
