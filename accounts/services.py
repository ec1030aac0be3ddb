from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import USERNAME_TAKEN, User
from accounts.selectors import users_with_email
from accounts.usernames import MIXED_SCRIPTS_MESSAGE, username_mixes_scripts, username_normalize
from config.errors import Invalid


def username_taken(*, username: str) -> bool:
    """Whether a user has this name, ignoring case: the rule of the ``lower()`` unique constraint."""
    return User.objects.alias(lowered=Lower("username")).filter(lowered=Lower(Value(username))).exists()


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a buyer account under the username rules (accounts/usernames.py).

    The name is normalised (NFKC) before every check; a name that mixes scripts is refused, and
    so is one taken by another user ignoring case. Django's password validators apply. Two
    signups racing for one name both pass the check; the unique constraint refuses the second.
    Raises ``Invalid`` with ``fields.username`` or ``fields.password``.
    """
    username = username_normalize(username=username)
    if username_mixes_scripts(username=username):
        raise Invalid(MIXED_SCRIPTS_MESSAGE, fields={"username": [MIXED_SCRIPTS_MESSAGE]})
    candidate = User(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise Invalid("The password is too weak.", fields={"password": list(exc.messages)}) from exc
    if username_taken(username=username):
        raise Invalid(USERNAME_TAKEN, fields={"username": [USERNAME_TAKEN]})
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as exc:  # a concurrent signup took the name
        raise Invalid(USERNAME_TAKEN, fields={"username": [USERNAME_TAKEN]}) from exc


# --- Refresh tokens: each one is used exactly once, by a refresh or by a logout ----------------


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def refresh_token_claim(*, token: RefreshToken, user: User) -> None:
    """Use a refresh token up: insert its row in simplejwt's blacklist, or fail if that exists.

    The claim is the insert, not a check before it: ``BlacklistedToken.token`` is one-to-one
    (unique) with the token's ``OutstandingToken``, so of any number of concurrent claims of one
    token the database lets exactly one insert; on PostgreSQL the others wait for that insert's
    transaction to commit and then hit the unique constraint. Call it inside the transaction
    whose effect the claim pays for (``refresh_token_rotate``, ``refresh_token_revoke``), so that
    both commit or neither does. Takes no row lock. Raises ``TokenError`` (401
    ``token_not_valid`` at the API) when the token was already used.
    """
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token[jwt_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:
        raise TokenError("Token is blacklisted") from exc


def refresh_token_rotate(*, token: RefreshToken) -> TokenPair:
    """Trade a verified refresh token for a new access token and a new refresh token.

    simplejwt's TokenRefreshSerializer as configured here (ROTATE_REFRESH_TOKENS and
    BLACKLIST_AFTER_ROTATION): the token's user must exist and be active, the old refresh token
    is blacklisted, the new one is recorded as outstanding. What differs is that the old token
    is used up by ``refresh_token_claim``, atomically, in the same transaction that records the
    new one: of N parallel refreshes (or a refresh and a logout) of one token exactly one wins.
    Raises ``AuthenticationFailed`` (``no_active_account``) and ``TokenError`` (already used).
    """
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token.get(jwt_settings.USER_ID_CLAIM)}).first()
    if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
        raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
    with transaction.atomic():
        refresh_token_claim(token=token, user=user)
        access = str(token.access_token)
        token.set_jti()
        token.set_exp()
        token.set_iat()
        token.outstand()
    return TokenPair(access=access, refresh=str(token))


def refresh_token_revoke(*, token: RefreshToken, user: User) -> None:
    """Log out: use the refresh token up without a successor. Only its owner may do so.

    The same claim as a refresh, so a logout and a refresh of one token never both succeed:
    whichever claims it first wins and the other raises ``TokenError`` (401 ``token_not_valid``).
    A logout that loses to a refresh has revoked nothing: the session goes on with the rotated
    token, which the client must log out with instead.
    """
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise TokenError("Token belongs to another user")  # and says nothing about others' tokens
    with transaction.atomic():
        refresh_token_claim(token=token, user=user)


# --- Box office: the account a walk-in buyer's booking belongs to -------------------------------


def user_walk_in(*, email: str = "") -> User:
    """The account of a buyer at the box-office desk (ticketing's box office; inside its
    transaction, so a sale that fails creates no account).

    With an email: the oldest active account that has it (ignoring case), else a new account
    with that email. Without one: a new account of its own, so that every anonymous sale is its
    own buyer (the per-buyer seat limit is per person, not per desk). New accounts are named
    ``walkin-<random>`` and have no usable password: nobody logs in with them; their tickets
    are the codes printed at the desk (and emailed when there is an email).
    """
    email = email.strip()
    if email:
        existing = users_with_email(email=email).first()
        if existing is not None:
            return existing
    user = User(username=f"walkin-{secrets.token_hex(6)}", email=email)
    user.set_unusable_password()
    user.save()
    return user
