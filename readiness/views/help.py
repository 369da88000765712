"""Pages that explain the results in plain words, open to everyone: they hold no data."""

from django.shortcuts import render

from readiness import disclosure, scoring


def how_scores_work(request):
    """docs/scoring.md for the people who read a dashboard, linked from every result."""
    context = {
        "strength_from": int(scoring.STRENGTH_FROM),
        "developing_from": int(scoring.DEVELOPING_FROM),
        "min_group": scoring.MIN_GROUP,
        "low_agreement_below": scoring.LOW_AGREEMENT_BELOW,
        "high_dont_know_percent": int(scoring.HIGH_DONT_KNOW_FROM * 100),
        "focus_size": scoring.FOCUS_SIZE,
        "median_from": disclosure.MEDIAN_FROM,
        "quartiles_from": disclosure.QUARTILES_FROM,
    }
    return render(request, "help/scores.html", context)
