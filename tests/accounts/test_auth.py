"""Sign-up, JWT login, refresh with rotation, logout (blacklist) and me."""

import pytest
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.services import refresh_token_claim
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "buyer-pass-123"  # the factories' password


def token(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def refresh(client, refresh_token):
    return client.post("/api/v1/auth/token/refresh/", {"refresh": refresh_token}, format="json")


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- Register --------------------------------------------------------------------------------


def test_register_creates_a_buyer(anon_client):
    body = {"username": "carol", "email": "carol@example.com", "password": "a-long-passphrase-9"}
    response = anon_client.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "username": "carol", "email": "carol@example.com"}
    user = User.objects.get(username="carol")
    assert user.check_password("a-long-passphrase-9")
    assert not user.is_staff


@pytest.mark.parametrize("password", ["short", "12345678901", "password123", "carol-carol"])
def test_register_applies_the_password_validators(anon_client, password):
    body = {"username": "carol-carol", "email": "carol@example.com", "password": password}
    response = anon_client.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]["password"]
    assert not User.objects.filter(username="carol-carol").exists()


def test_register_refuses_a_taken_username_whatever_its_case(anon_client):
    UserFactory(username="Carol")
    body = {"username": "carol", "email": "c@example.com", "password": "a-long-passphrase-9"}
    response = anon_client.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400
    assert "username" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "c@example.com", "password": "a-long-passphrase-9"}, "username"),
        ({"username": "c", "email": "not-an-email", "password": "a-long-passphrase-9"}, "email"),
        ({"username": "bad name!", "email": "c@example.com", "password": "a-long-passphrase-9"}, "username"),
        ({"username": "c", "email": "c@example.com"}, "password"),
    ],
)
def test_register_validates_its_fields(anon_client, body, field):
    response = anon_client.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


# --- Tokens ----------------------------------------------------------------------------------


def test_token_pair_for_good_credentials(anon_client, buyer):
    response = token(anon_client, buyer.username)
    assert response.status_code == 200
    assert set(response.json()) >= {"access", "refresh"}


def test_bad_credentials_are_401(anon_client, buyer):
    response = token(anon_client, buyer.username, "wrong-password")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_refresh_rotates_and_the_old_refresh_token_stops_working(anon_client, buyer):
    pair = token(anon_client, buyer.username).json()
    rotated = refresh(anon_client, pair["refresh"])
    assert rotated.status_code == 200
    assert set(rotated.json()) >= {"access", "refresh"}
    assert rotated.json()["refresh"] != pair["refresh"]
    # the new access token works
    assert bearer(client_for(), rotated.json()["access"]).get("/api/v1/auth/me/").status_code == 200
    # the old refresh token was blacklisted by the rotation
    again = refresh(anon_client, pair["refresh"])
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    # the new one keeps working
    assert refresh(anon_client, rotated.json()["refresh"]).status_code == 200


def test_a_refresh_token_can_be_claimed_only_once(buyer):
    token = RefreshToken.for_user(buyer)
    refresh_token_claim(token=token, user=buyer)
    with pytest.raises(TokenError):
        refresh_token_claim(token=token, user=buyer)
    assert BlacklistedToken.objects.filter(token__jti=token["jti"]).count() == 1


def test_refresh_for_an_inactive_user_is_401(anon_client, buyer):
    pair = token(anon_client, buyer.username).json()
    User.objects.filter(pk=buyer.pk).update(is_active=False)
    response = refresh(anon_client, pair["refresh"])
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_garbage_refresh_token_is_401(anon_client):
    response = refresh(anon_client, "not.a.token")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


# --- Logout and me ---------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(anon_client, buyer):
    pair = token(anon_client, buyer.username).json()
    client = bearer(client_for(), pair["access"])
    response = client.post("/api/v1/auth/logout/", {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 205
    after = refresh(anon_client, pair["refresh"])
    assert after.status_code == 401
    assert after.json()["code"] == "token_not_valid"


def test_logout_with_a_refresh_token_already_rotated_is_401(anon_client, buyer):
    pair = token(anon_client, buyer.username).json()
    assert refresh(anon_client, pair["refresh"]).status_code == 200
    client = bearer(client_for(), pair["access"])
    response = client.post("/api/v1/auth/logout/", {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_with_another_users_refresh_token_is_401(buyer_client, other_buyer, anon_client):
    theirs = str(RefreshToken.for_user(other_buyer))
    response = buyer_client.post("/api/v1/auth/logout/", {"refresh": theirs}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert refresh(anon_client, theirs).status_code == 200  # nothing was revoked


def test_logout_needs_a_login(anon_client, buyer):
    pair = token(anon_client, buyer.username).json()
    response = anon_client.post("/api/v1/auth/logout/", {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 401
    assert refresh(anon_client, pair["refresh"]).status_code == 200  # nothing was blacklisted


def test_logout_with_a_bad_refresh_token_is_401(buyer_client):
    response = buyer_client.post("/api/v1/auth/logout/", {"refresh": "garbage"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_without_a_refresh_token_is_invalid(buyer_client):
    response = buyer_client.post("/api/v1/auth/logout/", {}, format="json")
    assert response.status_code == 400
    assert "refresh" in response.json()["fields"]


def test_me(buyer_client, buyer, staff_client, staff):
    assert buyer_client.get("/api/v1/auth/me/").json() == {
        "id": buyer.pk,
        "username": buyer.username,
        "email": buyer.email,
        "is_staff": False,
    }
    assert staff_client.get("/api/v1/auth/me/").json()["is_staff"] is True


def test_me_needs_a_login(anon_client):
    response = anon_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_bad_access_token_is_401_token_not_valid(anon_client):
    response = bearer(anon_client, "not-a-jwt").get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_bad_token_is_refused_even_on_public_reads(anon_client):
    response = bearer(anon_client, "not-a-jwt").get("/api/v1/events/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
