"""The layout is the architecture: imports run one way and every row lock has one door.

- between apps: ticketing → venues → accounts (venues and accounts never import ticketing,
  accounts never imports venues);
- inside ticketing: api → services/selectors → models (models import neither; services and
  selectors never import the API layer);
- every row lock is taken in ``ticketing/locking.py``: no other product module says
  ``select_for_update``, ``FOR UPDATE``, ``lock_rows`` or ``lock_clause``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("accounts", "venues", "ticketing", "config")


def product_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    )


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


FORBIDDEN = [
    ("venues", "ticketing"),
    ("accounts", "ticketing"),
    ("accounts", "venues"),
    ("ticketing.models", "ticketing.services"),
    ("ticketing.models", "ticketing.selectors"),
    ("ticketing.models", "ticketing.api"),
    ("ticketing.services", "ticketing.api"),
    ("ticketing.selectors", "ticketing.api"),
    ("ticketing.selectors", "ticketing.services"),
]


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN, ids=[f"{a}-x-{b}" for a, b in FORBIDDEN])
def test_imports_run_one_way(importer, imported):
    offenders = [
        f"{module_name(path)} imports {name}"
        for path in product_modules()
        if module_name(path) == importer or module_name(path).startswith(importer + ".")
        for name in sorted(imports_of(path))
        if name == imported or name.startswith(imported + ".")
    ]
    assert not offenders, offenders


def lock_sites(path: Path) -> list[str]:
    """Calls of the lock primitives and SQL strings that lock, in code (docstrings and comments
    may describe locks: they are not read)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in {"select_for_update", "lock_rows", "lock_clause"}:
                sites.append(f"{name}() at line {node.lineno}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value.upper()
            sites += [f"locking SQL at line {node.lineno}"] * (
                "FOR UPDATE" in text or "FOR NO KEY UPDATE" in text
            )
    return sites


def test_every_row_lock_is_taken_in_the_lock_module():
    door = ROOT / "ticketing" / "locking.py"
    offenders = [
        f"{path.relative_to(ROOT)}: {site}"
        for path in product_modules()
        if path != door
        for site in lock_sites(path)
    ]
    assert not offenders, offenders


def test_the_checks_above_can_fail():
    # a negative control: the lock module itself is found by the same scan
    assert lock_sites(ROOT / "ticketing" / "locking.py")
    assert "ticketing.locking" in imports_of(ROOT / "ticketing" / "services" / "holds.py")
