"""What an instrument document must hold before anything of it is stored: codes used once,
items for every determinant and role, texts within their fields' lengths, translations
of everything a respondent reads in every language the site offers."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from readiness.models import Determinant, Domain, Instrument, Item, Role, Strategy

# "answer_options" of an instrument document: the 1-5 scale, "Don't know", "Does not
# apply to me". 2026.1 predates the key and offered all three.
ANSWER_OPTIONS = {"scale", "dont_know", "not_applicable"}


DEFAULT_ANSWER_OPTIONS = ["scale", "dont_know", "not_applicable"]


DONT_KNOW_SCORING = {"left_out", "neutral"}


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
        if data.get("title") and not is_text(block.get("title")):
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
                    if texts[field] and not is_text(translated.get(field)):
                        raise ValidationError(f"{where}: {KIND_NAMES[kind]} {code} has no {field}")


def is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def translations_of(data: dict, kind: str, code: str) -> dict:
    """An object's translations as stored (models.Translated): language -> field -> text."""
    stored = {}
    for language, block in data.get("translations", {}).items():
        texts = _translated_fields(kind, block.get(kind, {}).get(code))
        stored[language] = {f: texts[f] for f in TRANSLATED[kind] if is_text(texts.get(f))}
    return stored


def validate(data: Any) -> None:
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
