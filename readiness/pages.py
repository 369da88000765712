"""The questionnaire's pages: one per domain of an instrument version.

Instrument versions never change once loaded (services/instrument.py), so each
process builds an instrument's pages once, from one query, and keeps them.
"""

from dataclasses import dataclass

from readiness.models import Domain, Instrument, Item

_cache: dict[tuple, list["Page"]] = {}


@dataclass(frozen=True)
class Page:
    number: int
    domain: Domain
    items: list[Item]  # each with .determinant loaded


def questionnaire_pages(instrument: Instrument) -> list[Page]:
    # loaded_at and the content hash tell apart an instrument deleted and loaded again
    # under a reused id.
    key = (instrument.pk, instrument.content_hash, instrument.loaded_at)
    pages = _cache.get(key)
    if pages is None:
        by_domain: dict[int, list[Item]] = {}
        domains: dict[int, Domain] = {}
        for item in Item.objects.filter(determinant__domain__instrument=instrument).select_related(
            "determinant__domain"
        ):
            domains[item.determinant.domain_id] = item.determinant.domain
            by_domain.setdefault(item.determinant.domain_id, []).append(item)
        pages = [
            Page(number=number, domain=domains[domain_id], items=items)
            for number, (domain_id, items) in enumerate(by_domain.items(), 1)
        ]
        _cache[key] = pages
    return pages


def forget_pages() -> None:
    """For tests, whose databases reuse ids."""
    _cache.clear()
