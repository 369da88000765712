"""What never changes about an instrument version, built once per process.

Instrument versions never change once loaded (services/instrument/), so each process
builds an instrument's questionnaire pages (one per domain) and its scoring structure
(determinants, roles, strategy links) once, and keeps them.
"""

from dataclasses import dataclass

from readiness.models import Determinant, Domain, Instrument, Item, Role, Strategy

_cache: dict[tuple, object] = {}


@dataclass(frozen=True)
class Page:
    number: int
    domain: Domain
    items: list[Item]  # each with .determinant loaded


def _key(kind: str, instrument: Instrument) -> tuple:
    # loaded_at and the content hash tell apart an instrument deleted and loaded again
    # under a reused id.
    return (kind, instrument.pk, instrument.content_hash, instrument.loaded_at)


def questionnaire_pages(instrument: Instrument, role_code: str | None = None) -> list[Page]:
    """The pages, one per domain; with a role, only the statements asked of that role,
    and no page left without any."""
    if role_code is not None:
        key = _key(f"pages:{role_code}", instrument)
        pages = _cache.get(key)
        if pages is None:
            pages = []
            for page in questionnaire_pages(instrument):
                items = [item for item in page.items if item.is_asked_of(role_code)]
                if items:
                    pages.append(Page(number=len(pages) + 1, domain=page.domain, items=items))
            _cache[key] = pages
        return pages
    key = _key("pages", instrument)
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


@dataclass(frozen=True)
class Structure:
    determinants: list[Determinant]  # with .domain, in questionnaire order
    roles: list[Role]
    # (strategy, determinant id) pairs, by strategy then determinant order
    links: list[tuple[Strategy, int]]
    items: list[Item]  # in questionnaire order


def instrument_structure(instrument: Instrument) -> Structure:
    key = _key("structure", instrument)
    structure = _cache.get(key)
    if structure is None:
        links = (
            Strategy.determinants.through.objects.filter(strategy__instrument=instrument)
            .select_related("strategy")
            .order_by(
                "strategy__position", "determinant__domain__position", "determinant__position"
            )
        )
        structure = Structure(
            determinants=list(
                Determinant.objects.filter(domain__instrument=instrument).select_related("domain")
            ),
            roles=list(Role.objects.filter(instrument=instrument)),
            links=[(link.strategy, link.determinant_id) for link in links],
            items=list(Item.objects.filter(determinant__domain__instrument=instrument)),
        )
        _cache[key] = structure
    return structure


def instrument_by_version(version: str) -> Instrument:
    """A loaded version, read once per process (versions never change their meaning)."""
    key = ("version", version)
    instrument = _cache.get(key)
    if instrument is None:
        instrument = _cache[key] = Instrument.objects.get(version=version)
    return instrument


def forget_pages() -> None:
    """For tests, whose databases reuse ids."""
    _cache.clear()
