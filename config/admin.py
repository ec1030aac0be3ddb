"""Admin plumbing shared by the apps' admins.

The admin is a client of the services like the API is: it never writes domain rows itself.
``ServiceAdmin`` turns a domain error a service raises (an ``ApiError``) into an error message
instead of a 500; ``ReadOnlyAdmin`` is for the rows only services may change (seats, holds,
bookings, the audit trail): staff look at them and act on them through admin actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect

from config.errors import ApiError

admin.site.site_header = "Ticketing box office"
admin.site.site_title = "Ticketing admin"
admin.site.index_title = "Venues, events, seats and sales"


def error_text(error: ApiError) -> str:
    """The error's detail, followed by its field messages when they say more."""
    parts = [str(error.detail)]
    for field, problems in (error.extra.get("fields") or {}).items():
        for problem in problems if isinstance(problems, list) else [problems]:
            if str(problem) not in parts[0]:
                parts.append(f"{field}: {problem}")
    return " ".join(parts)


def adopt(target: models.Model, source: models.Model) -> None:
    """Make the admin's unsaved form instance the row a service created (pk and values)."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def run_per_object(
    modeladmin: admin.ModelAdmin, request: HttpRequest, objects: Any, operation, done: str
) -> None:
    """Run one service call per selected object; report successes and each refusal."""
    succeeded = 0
    for obj in objects:
        try:
            operation(obj)
        except ApiError as error:
            modeladmin.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes go through services: domain errors become messages."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApiError as error:  # the admin's own transaction was rolled back
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApiError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(ServiceAdmin):
    """Look, filter, search and run actions; never add, edit or delete rows by hand."""

    show_full_result_count = False  # no second COUNT(*) over big tables

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
