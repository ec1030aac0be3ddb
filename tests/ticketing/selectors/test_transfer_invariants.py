"""check_inventory after transfers: a clean transfer breaks no rule; the ``transferred_ticket``
rule catches each corruption of one, planted with raw SQL."""

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import UserFactory
from tests.ticketing.helpers import assert_inventory_clean, booked, seat_ids
from ticketing.models import SeatAudit, Ticket
from ticketing.selectors.invariants import inventory_violations
from ticketing.services.transfers import ticket_transfer

pytestmark = pytest.mark.django_db

T, A = Ticket._meta.db_table, SeatAudit._meta.db_table


@pytest.fixture
def transferred(event, buyer):
    """A two-seat booking whose first ticket was transferred, and then passed on again."""
    first, _ = booked(buyer, event, seat_ids(event, 2)).tickets.order_by("id")
    friend, third = UserFactory(), UserFactory()
    new = ticket_transfer(ticket_id=first.pk, actor=buyer, to=friend.username)
    newer = ticket_transfer(ticket_id=new.pk, actor=friend, to=third.username)
    return first, new, newer


def sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def rules_broken() -> set[str]:
    return {violation.rule for violation in inventory_violations()}


def test_transfers_leave_the_inventory_clean(transferred):
    assert_inventory_clean()  # totals and ticket counts leave transferred tickets out


def test_a_transferred_ticket_without_a_successor_is_caught(event, buyer):
    ticket = booked(buyer, event, seat_ids(event, 1)).tickets.get()
    sql(f"UPDATE {T} SET status = 'transferred' WHERE id = %s", [ticket.pk])
    assert "transferred_ticket" in rules_broken()


def test_a_transferred_ticket_that_was_checked_in_is_caught(transferred):
    sql(f"UPDATE {T} SET checked_in_at = %s WHERE id = %s", [timezone.now(), transferred[0].pk])
    assert rules_broken() == {"transferred_ticket"}


def test_a_successor_of_a_ticket_not_transferred_is_caught(transferred):
    sql(f"UPDATE {T} SET status = 'void' WHERE id = %s", [transferred[1].pk])
    assert "transferred_ticket" in rules_broken()


def test_a_successor_of_another_seat_is_caught(transferred, event):
    sql(f"UPDATE {T} SET event_seat_id = %s WHERE id = %s", [seat_ids(event)[5], transferred[1].pk])
    assert "transferred_ticket" in rules_broken()


def test_a_transfer_missing_from_the_audit_trail_is_caught(transferred):
    sql(f"DELETE FROM {A} WHERE action = 'transfer'", [])
    assert rules_broken() == {"transferred_ticket"}
