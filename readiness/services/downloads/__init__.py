"""Downloads prepared in the background: answer-level files and a network's report for
the board, asked for on a page, written to a file by the task worker (readiness/tasks.py),
fetched by the people entitled to them until they expire (views/downloads.py).

A file is written under a temporary name and renamed only once complete, so a download
that fails or is interrupted is never delivered half-written: the person is told it
failed, and may ask again. Rows follow rule 4 of readiness.disclosure, as every download's do
(readiness/exports/).

The package, in the order a download lives: ``asking``, ``preparing`` (in the worker),
``fetching``, ``expiry``; ``storage`` is where its file is while it is written and after.
"""

from readiness.services.downloads.asking import request_download
from readiness.services.downloads.expiry import expired, forget, purge_expired
from readiness.services.downloads.fetching import (
    failure_of,
    open_file,
    record_fetch,
    round_access,
    status_of,
    still_allowed,
    waiting_long,
    withdraw,
    withdraw_changed,
    withdraw_for,
)
from readiness.services.downloads.preparing import prepare
from readiness.services.downloads.storage import (
    SILENT_FOR,
    WAITING_LONG,
    Status,
)

__all__ = [
    "SILENT_FOR",
    "Status",
    "WAITING_LONG",
    "expired",
    "failure_of",
    "forget",
    "open_file",
    "prepare",
    "purge_expired",
    "record_fetch",
    "request_download",
    "round_access",
    "status_of",
    "still_allowed",
    "waiting_long",
    "withdraw",
    "withdraw_changed",
    "withdraw_for",
]
