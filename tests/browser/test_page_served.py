"""The web client's page and module graph, checked without a browser (these always run)."""

from __future__ import annotations

import re
from pathlib import Path

import ticketing

JS = Path(ticketing.__file__).parent / "static" / "ticketing" / "js"
IMPORT = re.compile(r"""\bfrom\s+["'](\.{1,2}/[^"']+)["']""")


def test_the_page_is_served_at_the_root_with_a_strict_content_security_policy(client):
    # when
    response = client.get("/")
    # then
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "no-store" in response["Cache-Control"]
    assert b'<script type="module" src="/static/ticketing/js/main.js">' in response.content


def test_every_relative_import_of_the_modules_names_an_existing_file():
    modules = sorted(JS.rglob("*.js"))
    assert modules
    for module in modules:
        for target in IMPORT.findall(module.read_text()):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}"


def test_the_page_preloads_every_module_so_there_is_no_import_waterfall(client):
    page = client.get("/").content.decode()
    loaded = set(re.findall(r'href="/static/ticketing/js/([^"]+)"', page))
    loaded |= set(re.findall(r'src="/static/ticketing/js/([^"]+)"', page))
    assert loaded == {str(module.relative_to(JS)) for module in JS.rglob("*.js")}
