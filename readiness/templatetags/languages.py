from django import template
from django.utils import translation

from readiness import languages

register = template.Library()


@register.filter
def in_language(obj, field: str) -> str:
    """An instrument text in the language of the page (models.Translated), or English:
    ``{{ item|in_language:"text" }}``."""
    return obj.in_language(field)


@register.simple_tag
def site_language_choices() -> list[dict]:
    """The switcher's links on pages of no instrument (errors): every site language."""
    return languages.address_choices(languages.site_languages(), translation.get_language())
