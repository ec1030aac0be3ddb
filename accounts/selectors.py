"""Reads of accounts that other apps use."""

from __future__ import annotations

from django.db.models import QuerySet, Value
from django.db.models.functions import Lower

from accounts.models import User
from accounts.usernames import username_normalize


def user_find(*, name_or_email: str) -> list[User]:
    """The active accounts ``name_or_email`` names: by username (the stored, normalised form,
    ignoring case, as the unique constraint compares them), else by email ignoring case (an
    email is not unique: several accounts may share one). Empty when none."""
    text = name_or_email.strip()
    if not text:
        return []
    by_name = list(
        User.objects.alias(lowered=Lower("username")).filter(
            lowered=Lower(Value(username_normalize(username=text))), is_active=True
        )
    )
    if by_name or "@" not in text:
        return by_name
    return list(users_with_email(email=text)[:2])


def users_with_email(*, email: str) -> QuerySet[User]:
    """The active accounts with this email, ignoring case, oldest first (an email is not unique)."""
    return User.objects.filter(email__iexact=email, is_active=True).order_by("id")
