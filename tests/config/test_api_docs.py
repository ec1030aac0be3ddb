"""/api/v1/docs/ works offline: Swagger UI comes from the app's own static files (the
drf-spectacular-sidecar package), served by whitenoise after collectstatic, never from a CDN."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|["']([^"'\s]+\.(?:js|css|png|ico))["']""")


def asset_urls(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


def test_the_docs_page_references_only_local_static_files(client):
    html = client.get("/api/v1/docs/").content.decode()
    urls = asset_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls), urls
    assert not re.search(r"https?://", html), "an absolute URL (a CDN) in the docs page"
    assert all(url.startswith("/static/") for url in urls), urls


def test_the_docs_assets_are_served_by_whitenoise_after_collectstatic(tmp_path, settings):
    # given: the production storage (hashed names) collected into a fresh STATIC_ROOT
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "ticketing.web.ModuleManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()  # a new handler: whitenoise indexes the new STATIC_ROOT
    # when
    page = client.get("/api/v1/docs/")
    # then: every asset it names is answered by the app itself
    assert page.status_code == 200
    urls = asset_urls(page.content.decode())
    assert len(urls) >= 3 and all(url.startswith("/static/") for url in urls), urls
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert b"".join(answer.streaming_content if answer.streaming else [answer.content])
