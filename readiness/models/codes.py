"""Random tokens and codes: the links that grant access to a round, and partners' codes."""

import hashlib
import secrets

# 32 random bytes, 256 bits, URL-safe: far beyond guessing for links that grant access.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# A round's short link (/s/k7m4-p9qx-dw3n), for flyers, QR codes and typing from a
# phone: lowercase letters and digits without the ones easily taken for another (no 0
# or o, no 1, l or i), 31 symbols. 12 of them, drawn by `secrets`, are 31**12 = 7.9e17
# codes, 59.45 bits: at 120 unknown codes an hour per address
# (views/questionnaire/starting.py), a million addresses guessing day and night would hit
# one of ten thousand open rounds about once in 75 years. The long link (256 bits) keeps
# working beside it.
SHORT_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


SHORT_CODE_LENGTH = 12


SHORT_CODE_GROUP = 4  # shown as k7m4-p9qx-dw3n


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))


def group_short_code(code: str) -> str:
    """k7m4p9qxdw3n -> k7m4-p9qx-dw3n, easier to read out and to type."""
    step = SHORT_CODE_GROUP
    return "-".join(code[i : i + step] for i in range(0, len(code), step))


def hash_token(token: str) -> str:
    """Resume tokens are stored hashed: a copy of the database cannot resume anyone."""
    return hashlib.sha256(token.encode()).hexdigest()
