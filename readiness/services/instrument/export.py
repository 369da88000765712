"""A loaded version as a document again (manage.py export_instrument), and what of a
document answers and scores depend on (its meaning)."""

from typing import Any

from readiness.models import Instrument
from readiness.services.instrument.checks import DEFAULT_ANSWER_OPTIONS, TRANSLATED


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
