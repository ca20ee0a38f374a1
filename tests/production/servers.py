"""The production server (bin/serve --prod, or the Procfile's web command alone) started for a test, and waited for."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.fakes.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def procfile_command(name: str) -> str:
    """A process's command in the Procfile, the one list of production commands."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}: "):
            return line.removeprefix(f"{name}: ")
    raise KeyError(name)


def production_environment(*, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """DEBUG off and a real secret, as an operator sets them; plain HTTP on 127.0.0.1, so no HTTPS-only cookies."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "Q_", "PROMETHEUS_")) and key not in ("DATABASE_URL", "CACHE_URL")
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
        DEBUG="false",
        SECRET_KEY="production-test-" + "s" * 50,
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        WEB_CONCURRENCY="2",
        Q_WORKERS="1",
        **extra,
    )
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    """manage.py in its own process with the production environment; its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@dataclass
class RunningServer:
    process: subprocess.Popen
    url: str
    log_path: Path
    stopped: bool = field(default=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM to the server (as a process manager stops it); its return code once it and its children ended."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.stopped = True
        return code

    def group_alive(self) -> bool:
        """Whether any process the server started (its own process group) still runs."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        if self.group_alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def server_start(
    command: list[str], *, env: dict[str, str], log_path: Path, ready_within: float | None
) -> RunningServer:
    """Start a server in a process group of its own on a free port and wait until /healthz answers (unless
    ready_within is None: a job cluster, which answers nothing)."""
    port = free_port()
    env = {**env, "LEADFLOW_ADDR": f"127.0.0.1:{port}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = RunningServer(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    if ready_within is None:
        return server
    try:
        _wait_until_answering(server, ready_within)
    except BaseException:
        server.kill()
        raise
    return server


def _wait_until_answering(server: RunningServer, ready_within: float) -> None:
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server ended with {server.process.returncode}:\n{server.log()[-4000:]}")
        try:
            requests.get(f"{server.url}/healthz", timeout=30)
            return
        except requests.RequestException:
            time.sleep(1)
    raise AssertionError(f"the server did not answer within {ready_within} s:\n{server.log()[-4000:]}")


def signed_in_session(url: str, email: str, password: str) -> requests.Session:
    """A browser-like session signed in through allauth's form (its CSRF token and cookie included)."""
    session = requests.Session()
    form = session.get(f"{url}/accounts/login/", timeout=30)
    assert form.status_code == 200, form.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    answer = session.post(
        f"{url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": email, "password": password},
        headers={"Referer": f"{url}/accounts/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return session
