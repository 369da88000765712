"""Keep respondents' links out of the logs.

A respondent's personal link is their only key, and a round's link lets anyone answer;
request logs (Django's, runserver's) would otherwise write them down with each request.
"""

import logging
import re

# Personal links, invitations and round links carry long tokens; a round's short link
# (/s/k7m4-p9qx-dw3n) carries a shorter code, typed in any case, with or without dashes
# or anything else a person may type into it (%20 for a space): all of it is redacted.
TOKEN_PATHS = re.compile(r"/(a|r|invitations)/[A-Za-z0-9_-]{20,}|/(s)/[^\s\"?#/]+")


def redact(text: str) -> str:
    return TOKEN_PATHS.sub(lambda m: f"/{m.group(1) or m.group(2)}/[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        if hasattr(record, "request"):
            # Django's request logger formats the request itself into the message.
            record.request = None
        return True
