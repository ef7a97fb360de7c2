"""Real servers for tests that cross process boundaries: the app under gunicorn on a
port of its own, and a browser that speaks HTTP to it (cookies kept, redirects not
followed, as the tests check them)."""

from __future__ import annotations

import http.cookiejar
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import csrf_token
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One browser: its cookies go to whichever server it is pointed at (all servers
    share 127.0.0.1, so a cookie set by one is sent to the other, as behind one domain)."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def request(self, url: str, data: dict | None = None, headers: dict | None = None) -> Page:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Page(error.code, dict(error.headers), error.read().decode())

    def form(self, url: str, data: dict, page_url: str | None = None) -> Page:
        """Post ``data`` with the CSRF token of the form page (``page_url`` or ``url``)."""
        token = csrf_token(self.request(page_url or url).text)
        return self.request(url, {"csrf_token": token, **data})


class AppServer:
    """`gunicorn --config python:app.ops.gunicorn_conf wsgi:app` with the production
    profile, on a free port."""

    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "APP_CONFIG": "production",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            **env,
        }
        self.process: subprocess.Popen | None = None
        # What gunicorn and the app print (closed in __exit__).
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def __enter__(self) -> AppServer:
        self.process = subprocess.Popen(
            [str(GUNICORN), "--config", "python:app.ops.gunicorn_conf", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {self.output()[-3000:]}")
            try:
                if Browser().request(self.url + "/healthz").status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
