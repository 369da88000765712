"""The owners' choice to keep responses flagged by the data-quality checks out of a
round's results (services/quality.py). What the dashboard shows of it is
templates/dashboard/_quality.html."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from readiness.disclosure import min_group
from readiness.forms import ExcludeFlaggedForm
from readiness.permissions import owner_access, round_for
from readiness.services import quality


@login_required
@require_POST
def exclude_flagged(request, slug, round_id):
    access = owner_access(request.user, slug)
    round_ = round_for(access, round_id)
    form = ExcludeFlaggedForm(request.POST)
    form.is_valid()  # a BooleanField that is not required: anything but "on" is False
    exclude = form.cleaned_data.get("exclude", False)
    outcome = quality.set_exclude_flagged(round_=round_, exclude=exclude, by=request.user)
    minimum = min_group(access.facility)
    if exclude:
        text = _("Responses flagged by the quality checks are kept out of this round's results.")
        unaffected = ngettext(
            "%(n)d of them was already in the published results and stays there: published "
            "results only grow, so that no one's answers show in a before/after comparison.",
            "%(n)d of them were already in the published results and stay there: published "
            "results only grow, so that no one's answers show in a before/after comparison.",
            outcome.unaffected,
        )
    else:
        text = _("Responses flagged by the quality checks count in this round's results again.")
        unaffected = ngettext(
            "%(n)d of them joins the results with the next update, when at least %(minimum)d "
            "people join at once.",
            "%(n)d of them join the results with the next update, when at least %(minimum)d "
            "people join at once.",
            outcome.unaffected,
        )
    if outcome.unaffected:
        text += " " + unaffected % {"n": outcome.unaffected, "minimum": minimum}
    messages.success(request, text)
    return redirect("round-dashboard", slug, round_.pk)
