"""Production posture: the deployment check is clean, TLS and CORS come from the environment,
JWT lifetimes are short, and no secret lives in the repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "Zq3v9-production-like-secret-generated-for-this-test-only-8842",
    "ALLOWED_HOSTS": "tickets.example.com",
    "TICKETING_SIGNING_KEY": "9J3oH0m3m8e7y3qz8p1mYkq2m0yUO9xTq8lS1jv4b2c=",
    "TICKETING_QUEUE_KEY": "Kp4x-production-like-queue-key-generated-for-this-test-only-5521",
}


def run_django(*args: str, env: dict[str, str], code: str | None = None) -> subprocess.CompletedProcess:
    """manage.py (or a snippet with Django set up) in a clean environment: no test settings."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings"
    environment.setdefault("DJANGO_ENV_FILE", os.devnull)  # not the developer's .env
    if code is not None:
        command = [sys.executable, "-c", "import django; django.setup()\n" + code]
    else:
        command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120)


def production_settings(**extra: str) -> dict:
    names = [
        "DEBUG",
        "ALLOWED_HOSTS",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "X_FRAME_OPTIONS",
        "CORS_ALLOWED_ORIGINS",
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
    ]
    code = (
        "import json; from django.conf import settings as s\n"
        f"out = {{n: getattr(s, n) for n in {names!r}}}\n"
        "jwt = s.SIMPLE_JWT\n"
        "out['ACCESS_MINUTES'] = jwt['ACCESS_TOKEN_LIFETIME'].total_seconds() / 60\n"
        "out['REFRESH_DAYS'] = jwt['REFRESH_TOKEN_LIFETIME'].total_seconds() / 86400\n"
        "out['ROTATE'] = jwt['ROTATE_REFRESH_TOKENS']; out['BLACKLIST'] = jwt['BLACKLIST_AFTER_ROTATION']\n"
        "out['LOGGING_FORMATTER'] = s.LOGGING['formatters']['default']\n"
        "print(json.dumps(out, default=str))"
    )
    result = run_django(env={**PRODUCTION_ENV, **extra}, code=code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_under_production_environment():
    result = run_django("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_secret_key_is_required_outside_debug():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}
    result = run_django("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_secure():
    s = production_settings()
    assert s["DEBUG"] is False
    assert s["ALLOWED_HOSTS"] == ["tickets.example.com"]
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["CORS_ALLOWED_ORIGINS"] == []  # nobody, unless configured
    assert s["LOGGING_FORMATTER"] == {"()": "config.logging.JsonFormatter"}


def test_jwt_lifetimes_are_short_and_refresh_tokens_rotate():
    s = production_settings()
    assert 0 < s["ACCESS_MINUTES"] <= 30
    assert 0 < s["REFRESH_DAYS"] <= 7
    assert s["ROTATE"] is True and s["BLACKLIST"] is True


def test_tls_cors_and_lifetimes_come_from_the_environment():
    s = production_settings(
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        CORS_ALLOWED_ORIGINS="https://shop.example.com,https://m.example.com",
        JWT_ACCESS_MINUTES="5",
        DATA_UPLOAD_MAX_MEMORY_SIZE="65536",
    )
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0
    assert s["CORS_ALLOWED_ORIGINS"] == ["https://shop.example.com", "https://m.example.com"]
    assert s["ACCESS_MINUTES"] == 5
    assert s["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 65536


# --- behind a TLS-terminating proxy ------------------------------------------------------------


def test_plain_http_is_redirected_but_the_proxy_scheme_header_is_trusted(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/api/v1/events/").status_code == 301
    response = client.get("/api/v1/events/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_load_balancer_health_check_is_not_redirected(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200


def test_cors_allows_only_configured_origins(db, client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"}
    allowed = client.options("/api/v1/events/", HTTP_ORIGIN="https://shop.example.com", **preflight)
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"
    refused = client.options("/api/v1/events/", HTTP_ORIGIN="https://evil.example", **preflight)
    assert "Access-Control-Allow-Origin" not in refused


def test_a_bad_host_header_is_a_json_400_on_the_api(db, client):
    response = client.get("/api/v1/events/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid"


# --- no secret in the repository ---------------------------------------------------------------

SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\b(?:ghp|gho|github_pat|glpat|xox[baprs])[-_][A-Za-z0-9_]{20,}"),
    re.compile(r"(?:postgres|postgresql|redis|mysql)://[^:/\s]+:(?!\$|\{|<|\*)[^@\s]{4,}@"),
    re.compile(
        r"""(?ix)\b(SECRET_KEY|SIGNING_KEY|PASSWORD|API_KEY|TOKEN|SECRET)\b["']?\s*[=:]\s*
        ["']?(?P<value>[A-Za-z0-9+/=_\-]{24,})"""
    ),
]
# Values that are plainly not secrets: test fixtures, demo keys, placeholders.
HARMLESS = re.compile(r"(?i)test|demo|example|insecure|dummy|placeholder|change|not-for-production|ci-")


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [BASE_DIR / name for name in listed if (BASE_DIR / name).is_file()]


def test_no_secret_is_committed():
    findings = []
    for path in repository_files():
        if path.suffix in {".png", ".jpg", ".ico", ".woff", ".woff2", ".gz", ".sqlite3"}:
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if "demo only" in line:  # a documented demo value used only with DEBUG on
                continue
            for pattern in SECRET_PATTERNS:
                match = pattern.search(line)
                if match and not HARMLESS.search(line):
                    findings.append(f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()[:100]}")
    assert findings == []


def test_env_files_with_real_values_are_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=BASE_DIR).returncode == 0
    assert ignored
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=BASE_DIR, capture_output=True, text=True).stdout
    assert tracked == ""


@pytest.mark.skipif(not (BASE_DIR / ".env.example").exists(), reason="no .env.example yet")
def test_env_example_documents_every_variable_settings_read():
    settings_source = (BASE_DIR / "config" / "settings.py").read_text()
    read = set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", settings_source))
    documented = set(re.findall(r"(?m)^#?\s*([A-Z][A-Z0-9_]+)=", (BASE_DIR / ".env.example").read_text()))
    assert read - documented == set()
