"""Storing a version of the instrument, once; loading the same document again changes
nothing, and a document that only corrects texts no answer depends on corrects them."""

import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from readiness.models import Determinant, Domain, Instrument, Item, Role, Strategy
from readiness.services.instrument.checks import (
    DEFAULT_ANSWER_OPTIONS,
    is_text,
    translations_of,
    validate,
)
from readiness.services.instrument.export import export_instrument, meaning


@dataclass(frozen=True)
class LoadResult:
    instrument: Instrument
    created: bool
    # An already loaded version whose explanations, sources or ERIC matches the file
    # corrected (``correct_texts``).
    corrected: bool = False


def content_hash(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def load_instrument(*, data: dict) -> LoadResult:
    """Store an instrument version; loading the same document again changes nothing.

    Raises ValidationError when the document is malformed, or when its version is
    already loaded with different content (a changed instrument needs a new version).
    """
    validate(data)
    digest = content_hash(data)
    existing = Instrument.objects.filter(version=data["version"]).first()
    if existing is not None:
        if existing.content_hash == digest:
            return LoadResult(existing, created=False)
        if meaning(data) != meaning(export_instrument(existing)):
            raise ValidationError(
                f"Version {data['version']} is already loaded with different content. "
                "Give the changed instrument a new version so that earlier answers keep "
                "their meaning."
            )
        correct_texts(existing, data, digest=digest)
        return LoadResult(existing, created=False, corrected=True)

    instrument = Instrument.objects.create(
        version=data["version"],
        title=data.get("title", data["version"]),
        citation=data.get("citation", ""),
        content_hash=digest,
        translations=_title_translations(data),
        offers_not_applicable="not_applicable"
        in data.get("answer_options", DEFAULT_ANSWER_OPTIONS),
        dont_know_is_neutral=data.get("dont_know_scoring", "left_out") == "neutral",
    )
    Role.objects.bulk_create(
        Role(
            instrument=instrument,
            code=role["code"],
            name=role["name"],
            translations=translations_of(data, "roles", role["code"]),
            key_voice=role.get("key_voice", False),
            position=position,
        )
        for position, role in enumerate(data["roles"])
    )
    # One insert per table, not per row: an instrument has hundreds of rows, and the
    # tests load it hundreds of times. bulk_create sets the new rows' ids on both
    # databases, which the rows below them need.
    domains = Domain.objects.bulk_create(
        Domain(
            instrument=instrument,
            code=domain_data["code"],
            name=domain_data["name"],
            intro=domain_data.get("intro", ""),
            cfir2_domain=domain_data.get("cfir2_domain", ""),
            translations=translations_of(data, "domains", domain_data["code"]),
            position=d_pos,
        )
        for d_pos, domain_data in enumerate(data["domains"])
    )
    determinants_data = [
        (domain, det_pos, det_data)
        for domain, domain_data in zip(domains, data["domains"], strict=True)
        for det_pos, det_data in enumerate(domain_data["determinants"])
    ]
    determinants = Determinant.objects.bulk_create(
        Determinant(
            domain=domain,
            code=det_data["code"],
            name=det_data["name"],
            cfir_construct=det_data.get("cfir_construct", ""),
            cfir2_construct=det_data.get("cfir2_construct", ""),
            carries_over_from=det_data.get("carries_over_from") or "",
            explanation=det_data.get("explanation", ""),
            why_it_matters=det_data.get("why_it_matters", ""),
            source=det_data.get("source", ""),
            translations=translations_of(data, "determinants", det_data["code"]),
            position=det_pos,
        )
        for domain, det_pos, det_data in determinants_data
    )
    Item.objects.bulk_create(
        Item(
            determinant=determinant,
            code=item["code"],
            text=item["text"],
            reverse_scored=item.get("reverse_scored", False),
            weight=item.get("weight", 1),
            source=item.get("source", ""),
            cfir_construct=item.get("cfir_construct", ""),
            cfir2_construct=item.get("cfir2_construct", ""),
            asked_of=item.get("asked_of", []),
            carries_over_from=item.get("carries_over_from") or "",
            translations=translations_of(data, "items", item["code"]),
            position=i_pos,
        )
        for determinant, (_domain, _pos, det_data) in zip(
            determinants, determinants_data, strict=True
        )
        for i_pos, item in enumerate(det_data["items"])
    )
    strategies_data = data.get("strategies", [])
    strategies = Strategy.objects.bulk_create(
        Strategy(
            instrument=instrument,
            position=s_pos,
            code=strategy_data["code"],
            name=strategy_data["name"],
            eric_strategy=strategy_data.get("eric_strategy", ""),
            eric_match=strategy_data.get("eric_match", ""),
            rationale=strategy_data.get("rationale", ""),
            source=strategy_data.get("source", ""),
        )
        for s_pos, strategy_data in enumerate(strategies_data)
    )
    determinants_by_code = {determinant.code: determinant for determinant in determinants}
    Strategy.determinants.through.objects.bulk_create(
        Strategy.determinants.through(strategy=strategy, determinant=determinants_by_code[code])
        for strategy, strategy_data in zip(strategies, strategies_data, strict=True)
        # a strategy naming a determinant twice serves it once, as .set() did
        for code in dict.fromkeys(strategy_data["determinants"])
    )
    return LoadResult(instrument, created=True)


def _title_translations(data: dict) -> dict:
    """The instrument's own translations: its title, and in any case the language, so
    that every language the file translates is offered (languages.offered)."""
    return {
        language: {"title": block["title"]} if is_text(block.get("title")) else {}
        for language, block in data.get("translations", {}).items()
    }


def correct_texts(instrument: Instrument, data: dict, *, digest: str) -> None:
    """Write a loaded version's corrected explanations, sources, ERIC matches and
    translations (the meaning is the same: ``meaning``). Pages show them from then on."""
    determinants = {d.code: d for d in Determinant.objects.filter(domain__instrument=instrument)}
    items = {i.code: i for i in Item.objects.filter(determinant__domain__instrument=instrument)}
    domains = {d.code: d for d in Domain.objects.filter(instrument=instrument)}
    for domain_data in data["domains"]:
        domain = domains[domain_data["code"]]
        domain.name = domain_data["name"]
        domain.intro = domain_data.get("intro", "")
        domain.cfir2_domain = domain_data.get("cfir2_domain", "")
        for det_data in domain_data["determinants"]:
            det = determinants[det_data["code"]]
            for field in ("name", "explanation", "why_it_matters", "source"):
                setattr(det, field, det_data.get(field, ""))
            det.cfir_construct = det_data.get("cfir_construct", "")
            det.cfir2_construct = det_data.get("cfir2_construct", "")
            for item_data in det_data["items"]:
                item = items[item_data["code"]]
                item.source = item_data.get("source", "")
                item.cfir_construct = item_data.get("cfir_construct", "")
                item.cfir2_construct = item_data.get("cfir2_construct", "")
    roles = {r.code: r for r in Role.objects.filter(instrument=instrument)}
    for kind, objects in (
        ("roles", roles),
        ("domains", domains),
        ("determinants", determinants),
        ("items", items),
    ):
        for code, obj in objects.items():
            obj.translations = translations_of(data, kind, code)
    Role.objects.bulk_update(roles.values(), ["translations"])
    Domain.objects.bulk_update(domains.values(), ["name", "intro", "cfir2_domain", "translations"])
    Determinant.objects.bulk_update(
        determinants.values(),
        [
            "name",
            "explanation",
            "why_it_matters",
            "source",
            "cfir_construct",
            "cfir2_construct",
            "translations",
        ],
    )
    Item.objects.bulk_update(
        items.values(), ["source", "cfir_construct", "cfir2_construct", "translations"]
    )
    strategies = {s.code: s for s in Strategy.objects.filter(instrument=instrument)}
    for strategy_data in data.get("strategies", []):
        strategy = strategies[strategy_data["code"]]
        for field in ("name", "rationale", "source", "eric_strategy", "eric_match"):
            setattr(strategy, field, strategy_data.get(field, ""))
    Strategy.objects.bulk_update(
        strategies.values(), ["name", "rationale", "source", "eric_strategy", "eric_match"]
    )
    Instrument.objects.filter(pk=instrument.pk).update(
        title=data.get("title", data["version"]),
        citation=data.get("citation", ""),
        content_hash=digest,
        translations=_title_translations(data),
    )
    from django.db.models import F

    from readiness.models import Facility
    from readiness.pages import forget_pages

    forget_pages()  # this process's copy; others read the new hash in their cache key
    # Dashboards built with the old texts are rebuilt.
    Facility.objects.filter(rounds__instrument=instrument).distinct().update(
        results_version=F("results_version") + 1
    )
