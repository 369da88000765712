"""The app served as in production, for measurements through a real server: gunicorn on
a loopback port (Server) and a cookie-keeping HTTP client like one browser tab
(Session). The benchmark, the morning scenario, the load test and the health check's
test use it."""

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from readiness.perf import seed

UNLIMITED = "1000000/m"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env() -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only-secret-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Required in production; the benchmark sends no e-mail.
        SITE_ROOT=env.get("SITE_ROOT") or "https://bench.invalid",
        EMAIL_HOST=env.get("EMAIL_HOST") or "localhost",
        # A loopback benchmark speaks plain HTTP.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        # The benchmark saves far faster than any person (and the load test packs a
        # staff's minutes of reading into seconds), all from one address.
        RESPONDENT_RATE=UNLIMITED,
        RESPONDENT_RATE_PER_ADDRESS=UNLIMITED,
        RESPONDENT_STARTS_PER_ADDRESS=UNLIMITED,
    )
    return env


class Server:
    """gunicorn serving the app in production mode on a loopback port."""

    def __init__(
        self,
        workers: int = 1,
        *,
        port: int | None = None,
        reuse_port=False,
        env=None,
        static=True,
    ):
        """``reuse_port``: several servers may listen on one port, the kernel sharing the
        connections among them (SO_REUSEPORT), as a proxy in front of app servers would.
        ``env``: settings to change from the production ones (CACHE_URL, say).
        ``static``: collect the static files first (about 17 s, compressing them), which
        only pages need."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.reuse_port = reuse_port
        self.env = env or {}
        self.static = static

    def __enter__(self):
        env = production_env() | self.env
        if self.static:
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                env=env,
                check=True,
                cwd=settings.BASE_DIR,
            )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",  # the repository's (its bind and workers given here win)
                "gunicorn.conf.py",
                "readiness.wsgi",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                *(["--reuse-port"] if self.reuse_port else []),
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/health/", timeout=2)  # noqa: S310
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=20)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Session:
    """A cookie-keeping HTTP client, like one browser tab. A POST's redirect is not
    followed, so that a save is timed without the page the browser loads next."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.cookies)
        self.opener = urllib.request.build_opener(cookies)
        self.poster = urllib.request.build_opener(cookies, NoRedirect)

    def get(self, path) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path, data: dict) -> str:
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        try:
            with self.poster.open(self.base + path, data=body, timeout=30) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:
            if error.code != 302:
                raise
            return ""

    def post_anew(self, path, data: dict) -> str:
        """A POST as a respondent's browser sends it after loading the page: the page
        is loaded first for its CSRF cookie (untimed work belongs in prepare(); the
        cookie is kept, so only the first POST loads a page)."""
        if not any(c.name == "csrftoken" for c in self.cookies):
            self.get(path)
        return self.post(path, data)

    def sign_in(self, username=seed.BENCH_USER):
        self.get("/accounts/login/")
        self.post("/accounts/login/", {"username": username, "password": seed.BENCH_PASSWORD})
        self.post("/accounts/login/code/", {"code": seed.bench_code(username)})

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)
