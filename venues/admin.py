"""Admin for venues, halls and layouts: every write goes through ``venues.services``."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from config.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, adopt
from config.errors import ApiError, Invalid
from venues.models import Hall, Seat, Section, Venue
from venues.services import (
    hall_create,
    hall_delete,
    hall_protected_by,
    hall_update,
    layout_replace,
    venue_create,
    venue_delete,
    venue_update,
)

VENUE_FIELDS = ("name", "kind", "city", "address", "time_zone")


class HallInline(admin.TabularInline):
    """The venue's halls: rename or add here; seats come from the hall's layout page."""

    model = Hall
    fields = ("name", "seat_count")
    readonly_fields = ("seat_count",)
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(seats=Count("sections__seats"))

    @admin.display(description="seats")
    def seat_count(self, hall: Hall) -> int:
        return getattr(hall, "seats", 0)


@admin.register(Venue)
class VenueAdmin(ServiceAdmin):
    list_display = ("name", "kind", "city", "time_zone", "hall_count")
    list_filter = ("kind", "city", "time_zone")
    search_fields = ("name", "city", "address")
    fields = VENUE_FIELDS
    inlines = [HallInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(halls_total=Count("halls"))

    @admin.display(description="halls", ordering="halls_total")
    def hall_count(self, venue: Venue) -> int:
        return venue.halls_total

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in VENUE_FIELDS if name in form.cleaned_data}
        if change:
            venue_update(venue=obj, **{name: data[name] for name in form.changed_data if name in data})
        else:
            adopt(obj, venue_create(**data))

    def save_formset(self, request, form, formset, change):
        """Halls added or renamed inline, each through its service (not ``formset.save()``)."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for hall_form in formset.forms:
            if not hall_form.has_changed() or not hall_form.cleaned_data:
                continue
            hall, name = hall_form.instance, hall_form.cleaned_data["name"]
            if hall.pk is None:
                adopt(hall, hall_create(venue=form.instance, name=name))
                formset.new_objects.append(hall)
            else:
                hall_update(hall=hall, name=name)
                formset.changed_objects.append((hall, hall_form.changed_data))

    def delete_model(self, request, obj):
        venue_delete(venue=obj)

    def delete_queryset(self, request, queryset):
        for venue in queryset:
            venue_delete(venue=venue)


class SectionInline(ReadOnlyInline):
    model = Section
    fields = ("position", "name", "row_count", "seat_count")
    readonly_fields = fields
    ordering = ("position", "id")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(seats_total=Count("seats"), rows_total=Count("seats__row_label", distinct=True))
        )

    @admin.display(description="rows")
    def row_count(self, section: Section) -> int:
        return section.rows_total

    @admin.display(description="seats")
    def seat_count(self, section: Section) -> int:
        return section.seats_total


class LayoutForm(forms.Form):
    file = forms.FileField(required=False, help_text="A JSON file, as for import_layout.")
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100, "style": "font-family: monospace"}),
        help_text='Or paste it: {"sections": [{"name": "Stalls", "rows": [{"label": "A", "seats": 20}]}]}',
    )

    def clean(self):
        data = super().clean()
        raw = data.get("file").read() if data.get("file") else data.get("text", "")
        if not raw or not raw.strip():
            raise forms.ValidationError("Upload a file or paste a layout.")
        try:
            layout = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc}") from exc
        data["sections"] = layout.get("sections") if isinstance(layout, dict) else layout
        return data


@admin.register(Hall)
class HallAdmin(ServiceAdmin):
    list_display = ("name", "venue", "section_count", "seat_count", "event_count")
    list_filter = ("venue__kind", "venue__city", "venue")
    search_fields = ("name", "venue__name")
    list_select_related = ("venue",)
    fields = ("venue", "name", "seat_count", "layout")
    readonly_fields = ("seat_count", "layout")
    inlines = [SectionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                seats_total=Count("sections__seats", distinct=True),
                sections_total=Count("sections", distinct=True),
                events_total=Count("events", distinct=True),
            )
        )

    @admin.display(description="sections", ordering="sections_total")
    def section_count(self, hall: Hall) -> int:
        return hall.sections_total

    @admin.display(description="seats", ordering="seats_total")
    def seat_count(self, hall: Hall) -> int:
        return getattr(hall, "seats_total", 0)

    @admin.display(description="events", ordering="events_total")
    def event_count(self, hall: Hall) -> int:
        return hall.events_total

    @admin.display(description="layout")
    def layout(self, hall: Hall) -> str:
        if hall.pk is None:
            return "Save the hall first, then give it a layout."
        if hall.events_total:
            return "Events use this hall: its layout can no longer change."
        url = reverse("admin:venues_hall_layout", args=[hall.pk])
        return format_html('<a class="button" href="{}">Replace the layout…</a>', url)

    def get_urls(self):
        layout = self.admin_site.admin_view(self.layout_view)
        return [path("<int:hall_id>/layout/", layout, name="venues_hall_layout"), *super().get_urls()]

    def layout_view(self, request, hall_id: int):
        """Replace a hall's layout from JSON (the same shape as PUT /halls/{id}/layout/)."""
        hall = get_object_or_404(Hall.objects.select_related("venue"), pk=hall_id)
        if not self.has_change_permission(request, hall):
            raise PermissionDenied
        form = LayoutForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                summary = layout_replace(hall=hall, sections=form.cleaned_data["sections"])
            except Invalid as error:
                for field, problems in error.extra.get("fields", {}).items():
                    for problem in problems:
                        form.add_error(None, f"{field}: {problem}")
            except ApiError as error:
                form.add_error(None, str(error.detail))
            else:
                message = f"Layout of {hall} replaced: {summary.sections} sections, {summary.seats} seats."
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:venues_hall_change", args=[hall.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": hall,
            "title": f"Replace the layout of {hall}",
            "form": form,
        }
        return TemplateResponse(request, "admin/venues/hall/layout_form.html", context)

    def save_model(self, request, obj, form, change):
        if change:
            changed = [name for name in ("venue", "name") if name in form.changed_data]
            hall_update(hall=obj, **{name: form.cleaned_data[name] for name in changed})
        else:
            adopt(obj, hall_create(venue=form.cleaned_data["venue"], name=form.cleaned_data["name"]))

    def delete_model(self, request, obj):
        hall_delete(hall=obj)

    def delete_queryset(self, request, queryset):
        for hall in queryset:
            hall_delete(hall=hall)

    def get_deleted_objects(self, objs, request):
        """Summarise instead of listing thousands of seats; events make a hall undeletable."""
        objs = list(objs)
        summary = [
            f"{hall}: {Section.objects.filter(hall=hall).count()} sections, "
            f"{Seat.objects.filter(section__hall=hall).count()} seats"
            for hall in objs
        ]
        protected = [used for hall in objs for used in hall_protected_by(hall=hall)]
        return summary, {"halls": len(objs)}, set(), protected


@admin.register(Section)
class SectionAdmin(ReadOnlyAdmin):
    """Sections come from a hall's layout; change them by replacing the layout."""

    list_display = ("name", "hall", "position", "seat_count")
    list_filter = ("hall__venue",)
    search_fields = ("name", "hall__name", "hall__venue__name")
    list_select_related = ("hall__venue",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(seats_total=Count("seats"))

    @admin.display(description="seats", ordering="seats_total")
    def seat_count(self, section: Section) -> int:
        return section.seats_total


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    """Seats come from a hall's layout; change them by replacing the layout."""

    list_display = ("__str__", "hall", "row_label", "number", "category", "accessible")
    list_filter = ("category", "accessible", "section__hall")
    search_fields = ("section__name", "row_label", "section__hall__name")
    list_select_related = ("section__hall__venue",)

    @admin.display(description="hall", ordering="section__hall")
    def hall(self, seat: Seat) -> Hall:
        return seat.section.hall
