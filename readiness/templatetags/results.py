"""How results read on every page: one rounding for a score and its band, and a score
said in the words of the answers it comes from (docs/scoring.md)."""

from django import template
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from readiness import scoring
from readiness.forms.questionnaire import SCALE_CHOICES

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


# --- Rows of the longest tables ---------------------------------------------------------
# A round's statements (a few hundred rows of eight cells) and a page of a network's sites
# (fifty rows of a dozen) are built here, as Django's admin builds its change list's
# cells (admin_list.items_for_result), rather than by template loops: about a tenth of
# the time, paid each time results change. Numbers are whole and shown as they are.


@register.simple_block_tag
def chart_with_table(content, figure, figure_id: str, label: str) -> str:
    """{% chart_with_table figure "id" _("label") %}the table{% endchart_with_table %}:
    the chart, then the table with its numbers under "Show the numbers as a table"."""
    return render_to_string(
        "_chart_with_table.html",
        {"figure": figure, "id": figure_id, "label": label, "content": content},
    )


@register.simple_tag
def statement_rows(determinant) -> str:
    """The <tbody> of each statement of the determinant: a row per group asked (everyone,
    or each role), how many were asked and each answer group's count, "hidden" where
    readiness.disclosure hides it."""
    hidden = format_html('<td><span class="text-body-secondary">{}</span></td>', _("hidden"))
    everyone = conditional_escape(_("Everyone asked"))
    parts = []
    for item, groups in determinant.statement_groups:
        parts.append("<tbody>")
        for position, statement in enumerate(groups):
            parts.append("<tr>")
            if position == 0:
                parts.append(
                    format_html('<th scope="rowgroup" rowspan="{}">{}</th>', len(groups), item.text)
                )
            who = conditional_escape(statement.role.name) if statement.role else everyone
            parts.append(
                f'<th scope="row" class="fw-normal">{who}</th><td>{statement.asked:d}</td>'
            )
            parts.extend(hidden if n is None else f"<td>{n:d}</td>" for n in statement.columns)
            parts.append("</tr>")
        parts.append("</tbody>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


@register.simple_tag
def site_rows(sites, include_open: bool) -> str:
    """The rows of a page of a network's sites table (templates/networks/
    _comparison_body.html): each site with its round, overall score and a score with
    its band in words per determinant (comparison.with_rows)."""
    too_few = format_html('<td><span class="small">{}</span></td>', _("too few people"))
    nothing = "<td>–</td>"
    rows = []
    for site in sites:
        round_ = site.round
        name = site.facility.name
        link = (
            format_html('<a href="{}">{}</a>', round_.get_absolute_url(), name) if round_ else name
        )
        header = format_html(
            '<th scope="row" class="position-sticky start-0 bg-body z-1">{}<br> '
            '<span class="small fw-normal text-body-secondary">{}, {}</span></th>',
            link,
            site.facility.type_label,
            site.facility.state,
        )
        cells = [
            f'<td>{escape(score(value))}<br> <span class="small">{escape(band)}</span></td>'
            if value is not None
            else too_few
            if round_
            else nothing
            for value, band in site.row
        ]
        rows.append(
            f"<tr>{header}<td>{_round_cell(site, include_open)}</td>"
            f"<td>{escape(score(site.overall))}</td>{''.join(cells)}</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every text above is escaped


def _round_cell(site, include_open: bool) -> str:
    round_ = site.round
    if round_ is None:
        if not site.collecting:
            return format_html(
                '<span class="text-body-secondary">{}</span>', _("no results in the period")
            )
        cell = format_html(
            '<span class="text-body-secondary">{}</span>',
            _("No closed round with results in the period: a round is still collecting answers."),
        )
        if site.collecting_has_results and not include_open:
            cell += format_html(
                '<br> <span class="small">{}</span>',
                _("Include rounds still collecting answers to see its results so far."),
            )
        return cell
    if round_.is_open:
        status = format_html(
            "<strong>{}</strong>: {}",
            _("Open"),
            ngettext(
                "still collecting answers; results so far from %(n)s person",
                "still collecting answers; results so far from %(n)s people",
                site.people,
            )
            % {"n": site.people},
        )
    else:
        status = conditional_escape(
            ngettext(
                "Closed: results from %(n)s person",
                "Closed: results from %(n)s people",
                site.people,
            )
            % {"n": site.people}
        )
    cell = format_html('{}<br> <span class="small">{}</span>', round_.label, status)
    if site.collecting:
        cell += format_html(
            '<br> <span class="small text-body-secondary">{}</span>',
            _("A newer round is still collecting answers."),
        )
    if site.other_version:
        cell += format_html(
            '<br> <span class="small">{}</span>',
            _("questionnaire %(version)s: only the areas that carried over are compared")
            % {"version": round_.version},
        )
    return cell
