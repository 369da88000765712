from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from readiness import charts
from readiness.permissions import get_round_for_user
from readiness.scoring import MIN_GROUP, score_round


@login_required
def round_dashboard(request, slug, round_id):
    round_ = get_round_for_user(request.user, slug, round_id)
    scores = score_round(round_, compare_with_previous=True)
    context = {
        "facility": round_.facility,
        "round": round_,
        "scores": scores,
        "min_group": MIN_GROUP,
        "determinant_chart": charts.determinant_chart(scores),
        "role_heatmap": charts.role_heatmap(scores),
    }
    return render(request, "dashboard/round.html", context)
