import json
from pathlib import Path

from django.core.management.base import CommandError


def read_json(file: str):
    """The JSON document in ``file``, or a CommandError saying why it cannot be read."""
    try:
        return json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"Cannot read {file}: {error}") from None
