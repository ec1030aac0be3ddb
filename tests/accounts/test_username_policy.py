"""Usernames: look-alikes of an existing name are taken, names that mix scripts are refused."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from accounts import services
from accounts.admin import UserAdmin
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-9"
TAKEN = "That username is taken."
unicode_lower_in_the_database = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's lower() folds ASCII letters only"
)


def register(client, username):
    body = {"username": username, "email": "new@example.com", "password": PASSWORD}
    return client.post("/api/v1/auth/register/", body, format="json")


# (the existing user, a look-alike that must be refused as taken)
LOOK_ALIKES = [
    pytest.param("Probe1", "probe1", id="lower case"),
    pytest.param("probe1", "PROBE1", id="upper case"),
    pytest.param("Probe1", "ｐrobe1", id="full-width p"),
    pytest.param("accstaff", "Ａccstaff", id="full-width A"),
    pytest.param("probe1", "ＰＲＯＢＥ１", id="all full-width, digit too"),
    pytest.param("filip", "ﬁlip", id="fi ligature"),
    pytest.param("office", "oﬃce", id="ffi ligature"),
    pytest.param("jose\u0301", "josé", id="decomposed e + U+0301 vs é"),
    pytest.param("josé", "jose\u0301", id="é vs e + U+0301"),
    pytest.param("x²", "x2", id="superscript two"),
    pytest.param("Ⅻmen", "xiimen", id="roman numeral"),
]

LOOK_ALIKES_BEYOND_ASCII = [
    pytest.param("josé", "JOSÉ", id="non-ASCII case"),
    pytest.param("Иван", "иван", id="Cyrillic case"),
    pytest.param("Ελένη", "ΕΛΈΝΗ", id="Greek case"),
]

MIXED_SCRIPTS = [
    pytest.param("аccstaff", id="Cyrillic а U+0430 in Latin"),
    pytest.param("рrobe1", id="Cyrillic р U+0440 in Latin"),
    pytest.param("vοlley", id="Greek omicron in Latin"),
    pytest.param("paypaⅼ", id="small roman numeral fifty, NFKC to Latin l: not mixed"),
    pytest.param("adminΑ", id="Greek capital alpha"),
    pytest.param("ивaн", id="Latin a in Cyrillic"),
]

LEGITIMATE = [
    "carol",
    "Carol_Smith.92",
    "a@b+c-d",
    "иван",
    "Ελένη",
    "josé",
    "山田太郎",
    "田中さくら",
    "김민준",
    "Straße",
]


def existing_user(username):
    """A user made the way every path makes one (create_user: NFKC), not the factory's raw save."""
    return User.objects.create_user(username=username, password=PASSWORD)


@pytest.mark.parametrize(("existing", "look_alike"), LOOK_ALIKES)
def test_a_look_alike_of_an_existing_username_is_taken(anon_client, existing, look_alike):
    # given
    existing_user(existing)
    # when
    response = register(anon_client, look_alike)
    # then
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]["username"] == [TAKEN]
    assert User.objects.count() == 1


@unicode_lower_in_the_database
@pytest.mark.parametrize(("existing", "look_alike"), LOOK_ALIKES_BEYOND_ASCII)
def test_case_beyond_ascii_is_ignored_too(anon_client, existing, look_alike):
    existing_user(existing)
    response = register(anon_client, look_alike)
    assert response.status_code == 400, response.json()
    assert response.json()["fields"]["username"] == [TAKEN]


@pytest.mark.parametrize("username", MIXED_SCRIPTS)
def test_a_username_that_mixes_scripts_is_refused(anon_client, username):
    response = register(anon_client, username)
    if username == "paypaⅼ":  # NFKC turns the numeral into a Latin l: one script, stored as "paypal"
        assert response.status_code == 201
        assert response.json()["username"] == "paypal"
        return
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]["username"] == [
        "Use letters of one script only (Latin, Cyrillic, Greek, ...), not a mix."
    ]
    assert not User.objects.exists()


@pytest.mark.parametrize("username", LEGITIMATE)
def test_legitimate_usernames_are_accepted_and_stored_as_typed(anon_client, username):
    response = register(anon_client, username)
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == username


def test_a_username_is_stored_in_nfkc(anon_client):
    response = register(anon_client, "ｃarol\u2168")  # full-width c, roman numeral nine
    assert response.status_code == 201
    assert User.objects.get().username == "carolIX"


def test_a_decomposed_accent_is_not_refused_by_the_character_rule(anon_client):
    response = register(anon_client, "jose\u0301")  # what some keyboards send
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == "josé"


def test_ss_and_sharp_s_are_different_names(anon_client):
    UserFactory(username="strasse")
    assert register(anon_client, "straße").status_code == 201


# --- The database backstop ---------------------------------------------------------------------


def test_the_database_refuses_two_usernames_that_differ_only_in_case():
    User.objects.create(username="Probe")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="probe")


def test_a_concurrent_signup_that_wins_after_the_check_is_reported_as_taken(monkeypatch):
    # given: the check passes (as for two signups racing) but the name is in the database
    UserFactory(username="Probe")
    monkeypatch.setattr(services, "username_taken", lambda **kwargs: False)
    # when / then
    with pytest.raises(services.Invalid) as refused:
        services.user_register(username="probe", email="p@example.com", password=PASSWORD)
    assert refused.value.extra["fields"] == {"username": [TAKEN]}


def test_create_user_normalises_and_cannot_make_a_look_alike():
    UserFactory(username="probe1")
    with pytest.raises(IntegrityError), transaction.atomic():
        get_user_model().objects.create_user(username="ＰROBE1", password=PASSWORD)


# --- The admin's user creation form --------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "error"),
    [("ｐrobe1", "A user with that username already exists."), ("аccstaff", "one script only")],
)
def test_the_admin_add_form_refuses_look_alikes(rf, username, error):
    UserFactory(username="Probe1")
    request = rf.get("/admin/accounts/user/add/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    form_class = UserAdmin(User, admin.site).get_form(request, obj=None)
    form = form_class(data={"username": username, "password1": PASSWORD, "password2": PASSWORD})
    assert not form.is_valid()
    assert error in " ".join(form.errors["username"])


def test_createsuperuser_refuses_a_mixed_script_name():
    with pytest.raises(CommandError, match="one script only"):
        call_command("createsuperuser", username="аccstaff", email="a@example.com", interactive=False)
    assert not User.objects.exists()
