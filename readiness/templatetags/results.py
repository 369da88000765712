"""How results read on every page: one rounding for a score and its band, and a score
said in the words of the answers it comes from (docs/scoring.md)."""

from django import template
from django.utils.translation import gettext as _

from readiness import scoring
from readiness.forms import SCALE_CHOICES

register = template.Library()

# A score's step of 25 is one step of the answer scale: 0 is "Strongly disagree",
# 50 "Neither agree nor disagree", 75 "Agree".
ANSWER_STEP = 25


@register.filter
def score(value) -> str:
    """A 0-100 score as shown everywhere, or an en dash when there is none."""
    number = scoring.shown(value)
    return "–" if number is None else str(number)


def in_words(value) -> str:
    """What a score means in terms of what staff answered, or "" when there is none."""
    number = scoring.shown(value)
    if number is None or not 0 <= number <= 100:
        return ""
    labels = [str(label) for _value, label in SCALE_CHOICES]
    lower, rest = divmod(number, ANSWER_STEP)
    if rest == 0:
        return _("On average, staff answered “%(answer)s”.") % {"answer": labels[lower]}
    return _("On average, staff answered between “%(lower)s” and “%(upper)s”.") % {
        "lower": labels[lower],
        "upper": labels[lower + 1],
    }


register.filter("in_words", in_words)


@register.filter
def signed(value) -> str:
    """A change in score points as shown: +4, -3, 0."""
    number = scoring.shown(value)
    return "–" if number is None else f"{number:+d}" if number else "0"


@register.filter
def band_code(value) -> str:
    """The band of a score as shown (strength, developing, gap, insufficient)."""
    return str(scoring.band_for(value))
