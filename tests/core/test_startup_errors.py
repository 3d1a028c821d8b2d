"""Starting the server with a setting missing or wrong: one line that says what to set, no traceback, a non-zero exit.

Each case runs the real command (`flask --app wsgi …`, `gunicorn wsgi:app`) in a subprocess, as an operator would.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SETTINGS = ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_PER_PROCESS",
            "SERVER_NAME")
SITE = {"SERVER_NAME": "etalase.test"}  # production also needs the site's address (tests/core/test_trusted_hosts.py)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def environment(tmp_path):
    """The machine's environment without any of the app's settings, and a database and instance folder of its own."""
    def make(**settings: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        env.update(INSTANCE_PATH=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'start.db'}", **settings)
        return env
    return make


def flask_command(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", "routes"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def gunicorn_command(env: dict) -> subprocess.CompletedProcess:
    command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{_free_port()}", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # it started after all: stop it, the test fails on the exit status
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    return subprocess.CompletedProcess(command, server.returncode, out, err)


CASES = {
    "no SECRET_KEY in production": ({"APP_ENV": "production"}, "SECRET_KEY"),
    "no SECRET_KEY and no APP_ENV": ({}, "SECRET_KEY"),
    "an unknown APP_ENV": ({"APP_ENV": "prod", "SECRET_KEY": "x" * 32}, "APP_ENV"),
    "production without shared rate limits": ({"APP_ENV": "production", "SECRET_KEY": "x" * 32, **SITE}, "REDIS_URL"),
    "production with rate limits in memory": (
        {"APP_ENV": "production", "SECRET_KEY": "x" * 32, "RATELIMIT_STORAGE_URI": "memory://", **SITE},
        "RATELIMIT_PER_PROCESS"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_flask_command_says_in_one_line_what_to_set(environment, case):
    settings, named = CASES[case]
    done = flask_command(environment(**settings))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], done.stderr


@pytest.mark.parametrize("case", ["no SECRET_KEY in production", "an unknown APP_ENV",
                                  "production without shared rate limits"])
def test_gunicorn_stops_with_one_line_that_says_what_to_set(environment, case):
    settings, named = CASES[case]
    done = gunicorn_command(environment(**settings))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert [line for line in done.stderr.splitlines() if named in line], done.stderr


@pytest.mark.parametrize("settings", [
    {"RATELIMIT_PER_PROCESS": "1"},
    {"REDIS_URL": "redis://127.0.0.1:6379/15"},
    {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"},
], ids=["per process said explicitly", "REDIS_URL", "RATELIMIT_STORAGE_URI"])
def test_production_starts_with_shared_rate_limits_or_when_per_process_is_asked_for(environment, settings):
    done = flask_command(environment(APP_ENV="production", SECRET_KEY="x" * 32, **SITE, **settings))
    assert done.returncode == 0, done.stderr
    assert "inquiries.new" in done.stdout
