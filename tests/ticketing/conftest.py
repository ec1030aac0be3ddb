"""Fixtures of the ticketing tests: gate staff, the fake payment gateway."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.conftest import client_for
from tests.factories import UserFactory
from ticketing.payments import payment_gateway


@pytest.fixture
def gate_user(db):
    user = UserFactory(username="gatekeeper")
    user.groups.add(Group.objects.get_or_create(name="gate")[0])
    return user


@pytest.fixture
def gate_client(gate_user):
    return client_for(gate_user)


@pytest.fixture
def fake_gateway():
    gateway = payment_gateway()
    gateway.calls.clear()
    yield gateway
    gateway.calls.clear()
