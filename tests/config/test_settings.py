"""Settings from the environment: the test settings are immune to a production-like shell, a
placeholder secret of .env.example refuses to start, and .env.example copied to .env as the
compose steps say breaks neither compose's health check nor the host's demo and tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = BASE_DIR / ".env.example"
REAL_SECRETS = {
    "SECRET_KEY": "Zq3v9-production-like-secret-generated-for-this-test-only-8842",
    "TICKETING_SIGNING_KEY": "9J3oH0m3m8e7y3qz8p1mYkq2m0yUO9xTq8lS1jv4b2c=",
    "TICKETING_QUEUE_KEY": "Kp4x-production-like-queue-key-generated-for-this-test-only-5521",
}


def django(*args: str, env: dict[str, str], settings: str = "config.settings", code: str = ""):
    """manage.py, or a snippet after django.setup(), in an environment made of ``env`` only."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    environment["DJANGO_SETTINGS_MODULE"] = settings
    environment.setdefault("DJANGO_ENV_FILE", os.devnull)
    command = [sys.executable, "-c", f"import django; django.setup()\n{code}"] if code else []
    command = command or [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120)


def settings_json(names: list[str], **kwargs) -> dict:
    code = (
        "import json; from django.conf import settings as s\n"
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    result = django(code=code, **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def dotenv_assignments(path: Path) -> dict[str, str]:
    return dict(re.findall(r"(?m)^([A-Z][A-Z0-9_]*)=(.*)$", path.read_text()))


# --- config/settings_test.py -------------------------------------------------------------------


def test_the_test_settings_ignore_a_production_like_shell_and_dot_env(tmp_path):
    # given: the shell of README "Running on PostgreSQL" plus a few more leaks, and a .env
    dot_env = tmp_path / ".env"
    dot_env.write_text("ALLOWED_HOSTS=tickets.example.com\nTICKETING_MAX_SEATS_PER_HOLD=2\n")
    shell = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pointed.sqlite3'}",
        "SECRET_KEY": "not-for-production-exported-in-this-shell-0123456789-abcdef",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "true",
        "SECURE_SSL_REDIRECT": "true",
        "TICKETING_HOLD_SECONDS": "5",
        "CORS_ALLOWED_ORIGINS": "https://shop.example.com",
        "TICKETING_SIGNING_KEY": "change-me-base64-of-32-random-bytes",
        "DJANGO_ENV_FILE": str(dot_env),
    }
    # when
    s = settings_json(
        [
            "ALLOWED_HOSTS",
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECRET_KEY",
            "TICKETING_HOLD_SECONDS",
            "TICKETING_MAX_SEATS_PER_HOLD",
            "CORS_ALLOWED_ORIGINS",
            "DATABASES",
        ],
        env=shell,
        settings="config.settings_test",
    )
    # then: the suite's own values; only DATABASE_URL points it elsewhere
    assert s["ALLOWED_HOSTS"] == ["testserver", "127.0.0.1", "localhost"]
    assert s["DEBUG"] is False and s["SECURE_SSL_REDIRECT"] is False
    assert s["SECRET_KEY"].startswith("test-only-")
    assert s["TICKETING_HOLD_SECONDS"] == 600 and s["TICKETING_MAX_SEATS_PER_HOLD"] == 10
    assert s["CORS_ALLOWED_ORIGINS"] == []
    assert s["DATABASES"]["default"]["NAME"] == str(tmp_path / "pointed.sqlite3")


# --- placeholders of .env.example --------------------------------------------------------------

PLACEHOLDER_CASES = {
    "SECRET_KEY": {"SECRET_KEY": "change-me-to-a-long-random-string"},
    "TICKETING_SIGNING_KEY": {"TICKETING_SIGNING_KEY": "change-me-base64-of-32-random-bytes"},
    "JWT_SIGNING_KEY": {"JWT_SIGNING_KEY": "change-me"},
    "TICKETING_QUEUE_KEY": {"TICKETING_QUEUE_KEY": "change-me-to-another-long-random-string"},
    "POSTGRES_PASSWORD": {"DATABASE_URL": "postgres://ticketing:change-me@db:5432/ticketing"},
    "GRIP_KEY": {"GRIP_URL": "http://pushpin:5561?key=change-me"},
}


@pytest.mark.parametrize("placeholder", PLACEHOLDER_CASES.values(), ids=PLACEHOLDER_CASES.keys())
def test_a_placeholder_secret_refuses_to_start_outside_debug(placeholder):
    env = {**REAL_SECRETS, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1", **placeholder}
    result = django("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "still hold the placeholder of .env.example" in result.stderr


def test_real_secrets_start():
    env = {**REAL_SECRETS, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false"}
    result = django("check", "--deploy", env=env)
    assert result.returncode == 0, result.stderr


# --- .env.example copied to .env -------------------------------------------------------------


def test_env_example_as_is_refuses_to_start_in_production():
    result = django("check", env={"DEBUG": "false", "DJANGO_ENV_FILE": str(ENV_EXAMPLE)})
    assert result.returncode != 0
    assert (
        "SECRET_KEY, TICKETING_SIGNING_KEY, TICKETING_QUEUE_KEY still hold the placeholder" in result.stderr
    )


def test_the_demo_runs_on_a_copied_env_example():
    # make demo: DEBUG=1 manage.py ... with .env.example copied to .env, secrets not filled in
    env = {"DEBUG": "1", "DJANGO_ENV_FILE": str(ENV_EXAMPLE)}
    result = django("check", "--deploy", env=env)  # the deploy checks include the signing key's
    assert "ticketing.E001" not in result.stdout + result.stderr
    assert "ticketing.E002" not in result.stdout + result.stderr
    s = settings_json(["ALLOWED_HOSTS", "DATABASES"], env=env)
    assert "127.0.0.1" in s["ALLOWED_HOSTS"]
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"  # not compose's db


def test_env_example_keeps_compose_health_check_and_host_database_working():
    values = dotenv_assignments(ENV_EXAMPLE)
    # compose's app container builds its own DATABASE_URL; on the host it would win over SQLite
    assert "DATABASE_URL" not in values
    compose = (BASE_DIR / "docker-compose.yml").read_text()
    default = re.search(r"ALLOWED_HOSTS: \$\{ALLOWED_HOSTS:-([^}]*)\}", compose).group(1)
    # the health check asks http://127.0.0.1:8000/healthz from inside the container
    assert "127.0.0.1" in values.get("ALLOWED_HOSTS", default).split(",")
    assert "127.0.0.1:8000/healthz" in compose
    # what compose's ${VAR:?} guards require is present (and refused above while a placeholder)
    for name in re.findall(r"\$\{(\w+):\?", compose):
        assert values.get(name), name
