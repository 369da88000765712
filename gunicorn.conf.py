"""gunicorn's settings for Readiness in production (docs/security.md, Deploying):

    gunicorn -c gunicorn.conf.py readiness.wsgi

Each can be changed from the environment (GUNICORN_BIND, WEB_CONCURRENCY,
GUNICORN_TIMEOUT) or on the command line, which wins over this file."""

import os

# Behind the proxy that ends TLS, on this machine.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: each request is short (answers saved, pages kept rendered), and Django's
# ORM is synchronous. Two per core this process may run on (not the host's cores, in a
# container), plus one, is gunicorn's advice; on the 2-core machine of
# docs/performance.md, 2 workers served the 30,000-person morning.
workers = int(os.environ.get("WEB_CONCURRENCY", len(os.sched_getaffinity(0)) * 2 + 1))

# No request needs longer: answer downloads and reports (PDF), which take seconds to
# minutes, are prepared by the task worker (`manage.py db_worker`, readiness/tasks.py),
# never inside a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30

# Workers are replaced after this many requests (spread so that they do not all restart
# at once): a bound on memory held by PDF layout and chart libraries.
max_requests = 2000
max_requests_jitter = 200

# Requests no page needs are refused before Django reads them (the proxy refuses large
# bodies: docs/security.md).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Paths carry respondents' and invitations' tokens: no access log here (the proxy's, if
# kept, must redact them: docs/security.md).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")

# Only the proxy on this machine may say which scheme the browser used.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
