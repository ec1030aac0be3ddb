"""Shared fixtures. Sub-folders add their own conftest.py for their own fixtures."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import StaffFactory, UserFactory, on_sale_event


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def other_buyer(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def buyer_client(buyer):
    return client_for(buyer)


@pytest.fixture
def other_client(other_buyer):
    return client_for(other_buyer)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def event(db):
    """An on-sale match in a 2-row × 5-seat hall (row A vip, row B standard)."""
    return on_sale_event()
