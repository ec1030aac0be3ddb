"""Every error ``detail`` is a human sentence: walked over every error the code can raise.

Two sources of errors reach a client: the project's own ``ApiError`` subclasses (found by
importing every module of the apps, so a new one is walked without editing this file), and the
exceptions of DRF and simplejwt, rendered through ``config.errors.translate``. simplejwt wraps
its messages in dicts (``{"detail": ..., "code": ..., "messages": [...]}``), whose ``str()`` is a
Python repr: none may leak.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rest_framework import exceptions as drf
from rest_framework_simplejwt import exceptions as jwt

from config.errors import GUNICORN_CODES, ApiError, error_codes, translate

APPS = ["config", "accounts", "venues", "ticketing"]
REPR = re.compile(r"ErrorDetail\(|\{'|\['|\(string=|<[A-Za-z_.]+ object at 0x|^\s*[\[{(]")
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
# Arguments for the errors whose constructor needs some; an unknown one fails the walk.
SAMPLES = {
    "seats": [{"id": 3, "status": "held"}],
    "limit": 4,
    "wait": 2.5,
    "detail": None,
    "fields": None,
    "checked_in_at": datetime(2026, 5, 1, 19, 30, tzinfo=UTC),
    "ticket_type": "child",
}


def import_all() -> None:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)


def subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *subclasses(sub)]
    return found


def project_errors() -> list[type[ApiError]]:
    import_all()
    return sorted({cls for cls in [ApiError, *subclasses(ApiError)]}, key=lambda cls: cls.__qualname__)


def instance_of(cls: type[ApiError]) -> ApiError:
    arguments = {}
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            continue
        if parameter.default is parameter.empty:
            assert name in SAMPLES, f"{cls.__qualname__} needs {name!r}: add a sample to SAMPLES"
            arguments[name] = SAMPLES[name]
    return cls(**arguments)


def assert_sentence(detail: object, label: str) -> None:
    assert isinstance(detail, str) and detail.strip(), label
    assert not REPR.search(detail), f"{label}: {detail!r}"


@pytest.mark.parametrize("cls", project_errors(), ids=lambda cls: cls.__qualname__)
def test_every_project_error_has_a_code_and_a_sentence(cls):
    body = instance_of(cls).as_body()
    assert CODE.match(body["code"]), body
    assert_sentence(body["detail"], cls.__qualname__)


def framework_errors() -> list[type[drf.APIException]]:
    return sorted(
        {cls for module in (drf, jwt) for cls in vars(module).values() if isinstance(cls, type)}
        & set(subclasses(drf.APIException)),
        key=lambda cls: (cls.__module__, cls.__qualname__),
    )


def framework_instances(cls: type[drf.APIException]) -> list[drf.APIException]:
    if cls is drf.Throttled:
        return [cls(wait=3)]
    if cls is drf.MethodNotAllowed:
        return [cls("PUT")]
    if cls is drf.UnsupportedMediaType:
        return [cls("text/plain")]
    shapes = [cls()]
    if issubclass(cls, (jwt.DetailDictMixin,)):  # simplejwt's dict-shaped messages
        shapes.append(cls({"detail": "Given token not valid for any token type", "messages": [{"m": "x"}]}))
        shapes.append(cls("User not found", code="user_not_found"))
    if cls is drf.ValidationError:
        shapes += [cls({"seat_ids": {"0": ["A valid integer is required."]}}), cls(["Bad."])]
    return shapes


@pytest.mark.parametrize("cls", framework_errors(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_framework_error_renders_a_sentence(cls):
    for exc in framework_instances(cls):
        error = translate(exc)
        assert error is not None, cls
        body = error.as_body()
        assert CODE.match(body["code"]), body
        assert_sentence(body["detail"], f"{cls.__qualname__}({exc.detail!r})")


def test_the_walk_finds_the_errors_it_should():
    names = {cls.__name__ for cls in project_errors()}
    assert {"SeatsUnavailable", "IdempotencyKeyReused", "Busy", "Throttled", "LayoutInUse"} <= names
    assert {"InvalidToken", "AuthenticationFailed", "ParseError"} <= {
        cls.__name__ for cls in framework_errors()
    }


# --- the registry is the contract ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ROW = re.compile(r"^\|[^|\n]*\|\s*(\d{3})\s*\|\s*`([a-z_]+)`", re.M)


def test_the_registry_holds_every_error_class_of_the_apps():
    codes = error_codes()
    for cls in project_errors():
        if "code" in vars(cls) and cls is not ApiError:
            assert cls.__module__ == "config.errors", f"{cls.__qualname__} is defined outside the registry"
            assert codes[cls.code] == cls.http_status


def test_the_readme_error_table_is_the_registry():
    documented = {code: int(status) for status, code in ROW.findall(README.read_text())}
    assert documented == {**error_codes(), **GUNICORN_CODES}


def test_gunicorn_answers_only_registered_codes():
    spec = importlib.util.spec_from_file_location("gunicorn_config", ROOT / "config" / "gunicorn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {code: status for status, (code, _) in module.PARSE_ERRORS.items()} == {
        code: status for code, status in GUNICORN_CODES.items() if code != "server_error"
    }
