"""Keys of results rendered once and kept in the shared cache (dashboards, network
pages). Beyond what each key names, a kept rendering is only good for the code and
templates that made it, and for the site's smallest group shown: a deploy, or a raised
DISCLOSURE_MIN_GROUP, must never be answered from a rendering made before it."""

import functools
import hashlib
from pathlib import Path

from django.conf import settings

# Kept renderings of results last a day at most (their keys change sooner).
RESULTS_TIMEOUT = 24 * 60 * 60

_SOURCES = (("readiness", "*.py"), ("templates", "*.html"), ("readiness/locale", "*.mo"))


@functools.cache
def build() -> str:
    """A digest of the app's code, templates and translations, read once per process."""
    digest = hashlib.sha256()
    for name, path in sources():
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def sources() -> list[tuple[str, Path]]:
    """(name, path) of every file a rendering depends on, beyond the data."""
    found = []
    for folder, pattern in _SOURCES:
        root = Path(settings.BASE_DIR) / folder
        found += [(f"{folder}/{p.relative_to(root)}", p) for p in sorted(root.rglob(pattern))]
    return found


def results_key(kind: str, *parts) -> str:
    return ":".join([kind, build(), str(settings.DISCLOSURE_MIN_GROUP), *map(str, parts)])
