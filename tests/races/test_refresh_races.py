"""A refresh token works exactly once: parallel refreshes, and a refresh racing a logout.

Each race has a negative control that swaps the atomic claim for simplejwt's own
check-then-blacklist and shows the race is seen. Run with ``pytest -s`` to see the numbers.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from tests.factories import UserFactory
from tests.races.harness import race, requires_postgres

PARALLEL = 8
ROUNDS = 10
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), requires_postgres]


def refresh(refresh_token: str):
    return APIClient().post(REFRESH_URL, {"refresh": refresh_token}, format="json")


def logout(refresh_token: RefreshToken):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh_token.access_token}")
    return client.post(LOGOUT_URL, {"refresh": str(refresh_token)}, format="json")


def claim_check_then_blacklist(*, token: RefreshToken, user) -> None:
    """simplejwt's own rotation: check, then blacklist (get_or_create), not atomic; window widened."""
    token.check_blacklist()
    time.sleep(0.05)
    token.blacklist()


def parallel_refreshes() -> tuple[Counter, Counter, list[str]]:
    """N refreshes of one token at once: answers by status, error codes, the new refresh tokens."""
    token = str(RefreshToken.for_user(UserFactory()))
    result = race([lambda: refresh(token) for _ in range(PARALLEL)])
    errors = [r for r in result.results if isinstance(r, BaseException)]
    assert not errors, errors
    by_status = Counter(r.status_code for r in result.results)
    codes = Counter(r.json()["code"] for r in result.results if r.status_code != 200)
    new_tokens = [r.json()["refresh"] for r in result.results if r.status_code == 200]
    print(f"\n[race] {PARALLEL} refreshes of one token: by status {dict(by_status)}, codes {dict(codes)}")
    return by_status, codes, new_tokens


def test_parallel_refreshes_of_one_token_give_exactly_one_session():
    # when: the same refresh token is sent N times at the same instant
    by_status, codes, new_tokens = parallel_refreshes()
    # then: one rotation wins, the others are told the token is used up
    assert by_status == {200: 1, 401: PARALLEL - 1}
    assert codes == {"token_not_valid": PARALLEL - 1}
    # and exactly one of the new refresh tokens works afterwards
    assert [refresh(t).status_code for t in new_tokens] == [200]


def test_control_with_check_then_blacklist_parallel_refreshes_all_win(monkeypatch):
    # given: the atomic claim swapped for simplejwt's check-then-blacklist (only for this proof)
    monkeypatch.setattr(services, "refresh_token_claim", claim_check_then_blacklist)
    # when
    by_status, _, new_tokens = parallel_refreshes()
    # then: the race is seen: several rotations of one token, each new token a lasting session
    assert by_status[200] > 1
    assert sum(refresh(t).status_code == 200 for t in new_tokens) > 1


def refresh_against_logout() -> list[tuple[int, int]]:
    """ROUNDS times: one refresh and one logout of the same fresh token, released together."""
    user = UserFactory()
    rounds = []
    for _ in range(ROUNDS):
        token = RefreshToken.for_user(user)
        result = race([lambda t=token: refresh(str(t)), lambda t=token: logout(t)])
        errors = [r for r in result.results if isinstance(r, BaseException)]
        assert not errors, errors
        refreshed, logged_out = result.results
        if refreshed.status_code == 200:  # the session lives on only through the rotated token
            assert refresh(refreshed.json()["refresh"]).status_code == 200
        rounds.append((refreshed.status_code, logged_out.status_code))
    print(f"\n[race] refresh vs logout, {ROUNDS} rounds: {dict(Counter(rounds))}")
    return rounds


def test_a_refresh_racing_a_logout_of_the_same_token_never_both_win():
    # when: ROUNDS times, a refresh and a logout of one token at the same instant
    rounds = refresh_against_logout()
    # then: in every round exactly one of them used the token; the loser is 401 token_not_valid
    assert set(rounds) <= {(200, 401), (401, 205)}


def test_control_with_check_then_blacklist_a_refresh_and_a_logout_both_win(monkeypatch):
    # given: the atomic claim swapped for simplejwt's check-then-blacklist (only for this proof)
    monkeypatch.setattr(services, "refresh_token_claim", claim_check_then_blacklist)
    # when
    rounds = refresh_against_logout()
    # then: the race is seen: a logout reported as done while a rotated token lives on
    assert (200, 205) in rounds
