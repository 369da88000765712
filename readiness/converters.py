from readiness.models import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH, group_short_code


class TokenConverter:
    """URL-safe random tokens (respondent and round links)."""

    regex = r"[A-Za-z0-9_-]{20,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ShortCodeConverter:
    """A round's short code (models.SHORT_CODE_ALPHABET), as people type it: any case,
    with or without the dashes it is shown with. Reversed as k7m4-p9qx-dw3n."""

    _letters = "".join(sorted(set(SHORT_CODE_ALPHABET + SHORT_CODE_ALPHABET.upper())))
    regex = f"[{_letters}-]{{{SHORT_CODE_LENGTH},{2 * SHORT_CODE_LENGTH}}}"

    def to_python(self, value: str) -> str:
        code = value.replace("-", "").lower()
        if len(code) != SHORT_CODE_LENGTH:
            raise ValueError  # no match: 404 without a look-up
        return code

    def to_url(self, value: str) -> str:
        return group_short_code(value)
