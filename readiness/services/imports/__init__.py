"""Importing answers from a CSV file (paper surveys, other tools), in two passes: reading
checks the whole file as it streams by and writes nothing; storing writes everything in
one transaction, so a rejected file leaves the database exactly as it was."""

from readiness.services.imports.reading import MAX_REPORTED_ERRORS, ImportRejected, max_bytes
from readiness.services.imports.storing import ImportSummary, import_responses

__all__ = [
    "MAX_REPORTED_ERRORS",
    "ImportRejected",
    "ImportSummary",
    "import_responses",
    "max_bytes",
]
