"""Reads of the waiting list: a buyer's entries with their place in line."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery

from accounts.models import User
from ticketing.models import WaitlistEntry

Status = WaitlistEntry.Status


def waitlist_entries_of(*, buyer: User) -> QuerySet[WaitlistEntry]:
    """The buyer's entries, newest first, with their event, their offer's hold and ``ahead``
    (waiting entries of the same event before a waiting one)."""
    ahead = (
        WaitlistEntry.objects.filter(event=OuterRef("event"), status=Status.WAITING, id__lt=OuterRef("id"))
        .order_by()
        .values("event")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        WaitlistEntry.objects.filter(buyer=buyer)
        .select_related("event", "offer")
        .annotate(ahead=Subquery(ahead))
        .order_by("-id")
    )
