"""Loading and exporting versions of the questionnaire instrument.

An instrument version is immutable once loaded: rounds and answers point at its
items, so changing one in place would silently change what old answers meant.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from readiness.models import Determinant, Domain, Instrument, Item, Role, Strategy

# "answer_options" of an instrument document: the 1-5 scale, "Don't know", "Does not
# apply to me". 2026.1 predates the key and offered all three.
ANSWER_OPTIONS = {"scale", "dont_know", "not_applicable"}
DEFAULT_ANSWER_OPTIONS = ["scale", "dont_know", "not_applicable"]
DONT_KNOW_SCORING = {"left_out", "neutral"}


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


def _require(mapping: Any, key: str, where: str, kind: type = str):
    if not isinstance(mapping, dict):
        raise ValidationError(f"{where}: expected an object")
    value = mapping.get(key)
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise ValidationError(f"{where}: '{key}' is missing or not a {kind.__name__}")
    return value


# Texts stored in fields of limited length: (model, field, where in the document).
LIMITED_TEXTS = [
    (Instrument, "title", lambda d: [d.get("title", "")]),
    (Role, "name", lambda d: [r.get("name", "") for r in d["roles"]]),
    (Domain, "name", lambda d: [x.get("name", "") for x in d["domains"]]),
    (Domain, "cfir2_domain", lambda d: [x.get("cfir2_domain", "") for x in d["domains"]]),
    *[
        (Determinant, name, lambda d, name=name: [det.get(name) or "" for det in _dets(d)])
        for name in ("code", "name", "cfir_construct", "cfir2_construct", "carries_over_from")
    ],
    *[
        (
            Item,
            name,
            lambda d, name=name: [i.get(name) or "" for det in _dets(d) for i in det["items"]],
        )
        for name in ("code", "cfir_construct", "cfir2_construct", "carries_over_from")
    ],
    *[
        (Strategy, name, lambda d, name=name: [s.get(name) or "" for s in d.get("strategies", [])])
        for name in ("code", "name", "eric_strategy")
    ],
]


def _dets(data: dict) -> list:
    return [det for domain in data["domains"] for det in domain["determinants"]]


def _check_lengths(data: dict) -> None:
    for model, field, values in LIMITED_TEXTS:
        limit = model._meta.get_field(field).max_length
        for value in values(data):
            if isinstance(value, str) and len(value) > limit:
                raise ValidationError(
                    f"{model._meta.verbose_name} {field}: {value[:40]!r}... is longer than "
                    f"{limit} characters"
                )


# What a respondent reads of an instrument, which its file gives for every language
# besides English under "translations" (docs/translating.md): per kind, the fields. A
# kind with one field gives the text itself, by code ({"items": {"LEGAL-1": "..."}}).
TRANSLATED = {
    "roles": ("name",),
    "domains": ("name", "intro"),
    "determinants": ("name", "explanation"),
    "items": ("text",),
}
TRANSLATED_MODELS = {"roles": Role, "domains": Domain, "determinants": Determinant, "items": Item}
KIND_NAMES = {"roles": "role", "domains": "domain", "determinants": "determinant", "items": "item"}


def _english_texts(data: dict) -> dict[str, dict[str, dict[str, str]]]:
    """The document's English texts of TRANSLATED: kind -> code -> field -> text."""
    domains = data["domains"]
    entries = {
        "roles": data["roles"],
        "domains": domains,
        "determinants": _dets(data),
        "items": [item for det in _dets(data) for item in det["items"]],
    }
    return {
        kind: {entry["code"]: {f: entry.get(f) or "" for f in fields} for entry in entries[kind]}
        for kind, fields in TRANSLATED.items()
    }


def _translated_fields(kind: str, given: Any) -> dict:
    """One entry of a translation block as field -> text."""
    fields = TRANSLATED[kind]
    if len(fields) == 1:
        return {fields[0]: given}
    return given if isinstance(given, dict) else {}


def site_languages() -> set[str]:
    """The languages an instrument may be translated into: the site's, but English."""
    return {code for code, _name in settings.LANGUAGES} - {"en"}


def _validate_translations(data: dict) -> None:
    """Every language an instrument file gives is one of the site's, and complete: an
    incomplete translation would show respondents a page in two languages."""
    translations = data.get("translations", {})
    if not isinstance(translations, dict):
        raise ValidationError("instrument: 'translations' must be an object of languages")
    english = _english_texts(data)
    for language, block in translations.items():
        where = f"translation {language!r}"
        if language not in site_languages():
            raise ValidationError(
                f"{where}: not a language of this site (settings.LANGUAGES: "
                f"{', '.join(sorted(site_languages())) or 'none but English'})"
            )
        if not isinstance(block, dict):
            raise ValidationError(f"{where}: expected an object")
        if data.get("title") and not _is_text(block.get("title")):
            raise ValidationError(f"{where}: the title has no text")
        for kind, fields in TRANSLATED.items():
            given = block.get(kind, {})
            if not isinstance(given, dict):
                raise ValidationError(f"{where}: '{kind}' must be an object of codes")
            unknown = sorted(set(given) - set(english[kind]))
            if unknown:
                raise ValidationError(f"{where}: unknown {KIND_NAMES[kind]} codes {unknown}")
            for code, texts in english[kind].items():
                translated = _translated_fields(kind, given.get(code))
                for field in fields:
                    if texts[field] and not _is_text(translated.get(field)):
                        raise ValidationError(f"{where}: {KIND_NAMES[kind]} {code} has no {field}")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _translations_of(data: dict, kind: str, code: str) -> dict:
    """An object's translations as stored (models.Translated): language -> field -> text."""
    stored = {}
    for language, block in data.get("translations", {}).items():
        texts = _translated_fields(kind, block.get(kind, {}).get(code))
        stored[language] = {f: texts[f] for f in TRANSLATED[kind] if _is_text(texts.get(f))}
    return stored


def _validate(data: Any) -> None:
    """Check the whole document before anything is written; raise on the first problem."""
    if not isinstance(data, dict):
        raise ValidationError("The instrument must be a JSON object")
    _require(data, "version", "instrument")
    roles = _require(data, "roles", "instrument", list)
    domains = _require(data, "domains", "instrument", list)
    if not roles or not domains:
        raise ValidationError("The instrument needs at least one role and one domain")
    options = data.get("answer_options", DEFAULT_ANSWER_OPTIONS)
    if (
        not isinstance(options, list)
        or not {"scale", "dont_know"} <= set(options)
        or not set(options) <= ANSWER_OPTIONS
    ):
        raise ValidationError(
            "instrument: 'answer_options' must list 'scale' and 'dont_know', and may add "
            "'not_applicable'"
        )
    if data.get("dont_know_scoring", "left_out") not in DONT_KNOW_SCORING:
        raise ValidationError("instrument: 'dont_know_scoring' must be 'left_out' or 'neutral'")
    role_codes = {role.get("code") for role in roles if isinstance(role, dict)}
    seen: dict[str, set[str]] = {
        "role": set(),
        "domain": set(),
        "determinant": set(),
        "item": set(),
    }

    def unique(kind: str, code: str, where: str) -> None:
        if code in seen[kind]:
            raise ValidationError(f"{where}: {kind} code {code!r} is used twice")
        seen[kind].add(code)

    for n, role in enumerate(roles, 1):
        unique("role", _require(role, "code", f"role {n}"), f"role {n}")
        _require(role, "name", f"role {n}")
    for domain in domains:
        code = _require(domain, "code", "domain")
        unique("domain", code, f"domain {code}")
        _require(domain, "name", f"domain {code}")
        determinants = _require(domain, "determinants", f"domain {code}", list)
        if not determinants:
            raise ValidationError(f"domain {code}: has no determinants")
        for determinant in determinants:
            det_code = _require(determinant, "code", f"domain {code}")
            unique("determinant", det_code, f"determinant {det_code}")
            _require(determinant, "name", f"determinant {det_code}")
            items = _require(determinant, "items", f"determinant {det_code}", list)
            if not items:
                raise ValidationError(f"determinant {det_code}: has no items")
            _validate_asked_of(det_code, items, role_codes)
            for item in items:
                item_code = _require(item, "code", f"determinant {det_code}")
                unique("item", item_code, f"item {item_code}")
                _require(item, "text", f"item {item_code}")
                if not isinstance(item.get("reverse_scored", False), bool):
                    raise ValidationError(f"item {item_code}: reverse_scored must be true or false")
                weight = item.get("weight", 1)
                if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
                    raise ValidationError(f"item {item_code}: weight must be a whole number >= 1")
    strategy_codes: set[str] = set()
    matches = {choice.value for choice in Strategy.EricMatch}
    for strategy in data.get("strategies", []):
        code = _require(strategy, "code", "strategy")
        if code in strategy_codes:
            raise ValidationError(f"strategy {code}: code is used twice")
        strategy_codes.add(code)
        _require(strategy, "name", f"strategy {code}")
        match = strategy.get("eric_match", "")
        if match not in matches:
            raise ValidationError(
                f"strategy {code}: eric_match must be one of exact, adapted, component"
            )
        named = bool(strategy.get("eric_strategy"))
        if match == Strategy.EricMatch.COMPONENT and named:
            raise ValidationError(
                f"strategy {code}: a part of the intervention names no ERIC strategy"
            )
        if match in (Strategy.EricMatch.EXACT, Strategy.EricMatch.ADAPTED) and not named:
            raise ValidationError(f"strategy {code}: eric_match {match!r} needs an eric_strategy")
        linked = _require(strategy, "determinants", f"strategy {code}", list)
        unknown = [c for c in linked if c not in seen["determinant"]]
        if not linked or unknown:
            raise ValidationError(f"strategy {code}: unknown or missing determinants {unknown}")
    _check_lengths(data)
    _validate_translations(data)


def _validate_asked_of(det_code: str, items: list, role_codes: set) -> None:
    """Each item's asked_of names known roles; every role is asked at least one item of
    the determinant, so that every respondent can have a score for it."""
    asked_by_someone = set()
    for item in items:
        asked_of = item.get("asked_of", []) if isinstance(item, dict) else []
        if not isinstance(asked_of, list) or not all(isinstance(c, str) for c in asked_of):
            raise ValidationError(f"item {item.get('code')}: asked_of must be a list of roles")
        unknown = sorted(set(asked_of) - role_codes)
        if unknown:
            raise ValidationError(f"item {item.get('code')}: unknown roles in asked_of {unknown}")
        asked_by_someone |= set(asked_of) if asked_of else role_codes
    missing = sorted(role_codes - asked_by_someone)
    if missing:
        raise ValidationError(f"determinant {det_code}: no item is asked of {missing}")


@transaction.atomic
def load_instrument(*, data: dict) -> LoadResult:
    """Store an instrument version; loading the same document again changes nothing.

    Raises ValidationError when the document is malformed, or when its version is
    already loaded with different content (a changed instrument needs a new version).
    """
    _validate(data)
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
            translations=_translations_of(data, "roles", role["code"]),
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
            translations=_translations_of(data, "domains", domain_data["code"]),
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
            translations=_translations_of(data, "determinants", det_data["code"]),
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
            translations=_translations_of(data, "items", item["code"]),
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
        language: {"title": block["title"]} if _is_text(block.get("title")) else {}
        for language, block in data.get("translations", {}).items()
    }


def meaning(data: dict) -> dict:
    """What answers and scores depend on, from an instrument document or an export:
    codes, the statements' words and scoring, who is asked, the answers offered, and
    which determinants each strategy serves. Explanations, sources, ERIC matches and
    translations are not part of it: correcting them changes no answer's meaning (the
    English statement is the reference a translation renders; docs/translating.md)."""
    return {
        "version": data["version"],
        "answer_options": data.get("answer_options", DEFAULT_ANSWER_OPTIONS),
        "dont_know_scoring": data.get("dont_know_scoring", "left_out"),
        "roles": [role["code"] for role in data["roles"]],
        "domains": [
            [
                domain["code"],
                [
                    [
                        det["code"],
                        [
                            [
                                item["code"],
                                item["text"],
                                item.get("reverse_scored", False),
                                item.get("weight", 1),
                                item.get("asked_of", []),
                            ]
                            for item in det["items"]
                        ],
                    ]
                    for det in domain["determinants"]
                ],
            ]
            for domain in data["domains"]
        ],
        "strategies": [
            [strategy["code"], sorted(strategy["determinants"])]
            for strategy in data.get("strategies", [])
        ],
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
            obj.translations = _translations_of(data, kind, code)
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


def export_instrument(instrument: Instrument) -> dict:
    """The instrument in the documented export shape (see docs/scoring.md)."""
    domains = instrument.domains.prefetch_related("determinants__items")
    strategies = instrument.strategies.prefetch_related("determinants")
    return {
        "version": instrument.version,
        "answer_options": [
            option
            for option in DEFAULT_ANSWER_OPTIONS
            if option != "not_applicable" or instrument.offers_not_applicable
        ],
        "dont_know_scoring": "neutral" if instrument.dont_know_is_neutral else "left_out",
        "roles": [{"code": r.code, "name": r.name} for r in instrument.roles.all()],
        "domains": [
            {
                "code": domain.code,
                "name": domain.name,
                "cfir2_domain": domain.cfir2_domain,
                "determinants": [
                    {
                        "code": det.code,
                        "name": det.name,
                        "cfir_construct": det.cfir_construct,
                        "cfir2_construct": det.cfir2_construct,
                        "carries_over_from": det.carries_over_from or None,
                        "items": [
                            {
                                "code": item.code,
                                "text": item.text,
                                "reverse_scored": item.reverse_scored,
                                "weight": item.weight,
                                "cfir_construct": item.cfir_construct,
                                "cfir2_construct": item.cfir2_construct,
                                "asked_of": item.asked_of,
                                "carries_over_from": item.carries_over_from or None,
                            }
                            for item in det.items.all()
                        ],
                    }
                    for det in domain.determinants.all()
                ],
            }
            for domain in domains
        ],
        "strategies": [
            {
                "code": s.code,
                "name": s.name,
                "eric_strategy": s.eric_strategy,
                "eric_match": s.eric_match,
                "determinants": [d.code for d in s.determinants.all()],
            }
            for s in strategies
        ],
        "translations": exported_translations(instrument, domains),
    }


def exported_translations(instrument: Instrument, domains) -> dict:
    """The instrument's translations in the file's shape (TRANSLATED), so that an
    exported instrument loads elsewhere with them."""
    determinants = [det for domain in domains for det in domain.determinants.all()]
    objects = {
        "roles": list(instrument.roles.all()),
        "domains": list(domains),
        "determinants": determinants,
        "items": [item for det in determinants for item in det.items.all()],
    }
    languages = sorted(
        {language for group in objects.values() for obj in group for language in obj.translations}
        | set(instrument.translations)
    )
    exported = {}
    for language in languages:
        block: dict[str, Any] = {}
        if "title" in instrument.translations.get(language, {}):
            block["title"] = instrument.translations[language]["title"]
        for kind, fields in TRANSLATED.items():
            block[kind] = {}
            for obj in objects[kind]:
                texts = obj.translations.get(language, {})
                if len(fields) == 1:
                    if fields[0] in texts:
                        block[kind][obj.code] = texts[fields[0]]
                elif texts:
                    block[kind][obj.code] = {f: texts[f] for f in fields if f in texts}
        exported[language] = block
    return exported
