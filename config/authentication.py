"""Authentication of API requests: simplejwt's access tokens, cheap on the on-sale's hot paths.

``AccessTokenAuthentication`` is simplejwt's ``JWTAuthentication`` with two changes:

- **A verified token is remembered** (per process, ``TOKEN_CACHE_SIZE`` tokens, least recently
  used first out): the same token string always verifies the same way, so its signature and
  claims are checked once, and its expiry on every request. An on-sale buyer sends one token
  hundreds of times.
- **No user query where the token's claims suffice.** A view lists the actions in
  ``token_claims_suffice`` (the hold, the booking, the release, joining a waiting room, whose
  place leads only to holds): their ``request.user`` is built
  from the token's user id with every other field deferred, with no query. Such a use case
  verifies the account itself, inside its own transaction, where it locks the buyer anyway:
  ``ticketing.locking.lock_buyer`` and ``lock_for_booking`` refuse a deleted or deactivated
  account with 401 ``not_authenticated`` before anything is written. Any other view (staff's
  above all) reads the user row on every request, as simplejwt does: a demoted staff member or a
  deactivated account is refused at once there.

What the access token's lifetime (``JWT_ACCESS_MINUTES``, 15 by default) then means: logging
out revokes the refresh token, and an access token already issued works until it expires, on
every endpoint, as before; a deactivated account can make no hold or booking from the moment it
is deactivated, and reads nothing staff-only. See DESIGN.md, "Authentication".
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from accounts.models import User

TOKEN_CACHE_SIZE = 4096


class _VerifiedTokens:
    """Raw token -> its verified token object, least recently used out first; thread-safe."""

    def __init__(self, size: int):
        self.size, self.tokens, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, raw: bytes) -> Token | None:
        with self.lock:
            token = self.tokens.get(raw)
            if token is not None:
                self.tokens.move_to_end(raw)
            return token

    def put(self, raw: bytes, token: Token) -> None:
        with self.lock:
            self.tokens[raw] = token
            if len(self.tokens) > self.size:
                self.tokens.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.tokens.clear()


verified_tokens = _VerifiedTokens(TOKEN_CACHE_SIZE)


def user_from_claims(user_id: int) -> User:
    """The token's user as a model instance with only its id loaded: no query. Reading any other
    field loads it (one query each), so code that needs them should not get this user."""
    return User.from_db("default", ["id"], [user_id])


class AccessTokenAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        token = verified_tokens.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            verified_tokens.put(raw_token, token)
        elif token.payload.get("exp", 0) <= time.time():  # its expiry, checked on every request
            raise InvalidToken({"detail": "Token is expired", "messages": []})
        return token

    def authenticate(self, request):
        self.claims_suffice = _claims_suffice(request)
        return super().authenticate(request)

    def get_user(self, validated_token: Token) -> User:
        if self.claims_suffice:
            try:
                return user_from_claims(int(validated_token[jwt_settings.USER_ID_CLAIM]))
            except (KeyError, TypeError, ValueError):
                raise InvalidToken("Token contained no recognizable user identification") from None
        return super().get_user(validated_token)


def _claims_suffice(request) -> bool:
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return getattr(view, "action", None) in getattr(view, "token_claims_suffice", ())
