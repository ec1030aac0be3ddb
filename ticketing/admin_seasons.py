"""Box-office admin of seasons: name, hall, the hall's events, season prices per category and
the refund rule. Every write goes through ``ticketing.services.seasons``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin

from config.admin import ServiceAdmin, adopt
from ticketing.admin_prices import CategoryPriceFormSet
from ticketing.models import Event, Season, SeasonPrice
from ticketing.services.seasons import season_create, season_update

SEASON_FORM_FIELDS = ("name", "hall", "status", "refund_rule", "events")


class SeasonAdminForm(forms.ModelForm):
    events = forms.ModelMultipleChoiceField(
        queryset=Event.objects.exclude(status=Event.Status.CANCELLED).select_related("hall"),
        help_text="Events of the season's hall (the list shows only its events once the season exists).",
    )

    class Meta:
        model = Season
        fields = ("name", "hall", "status", "refund_rule")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # events filtered to the hall
            self.fields["events"].queryset = self.fields["events"].queryset.filter(
                hall_id=self.instance.hall_id
            )
            self.initial["events"] = list(self.instance.events.values_list("id", flat=True))

    def clean(self):
        data = super().clean()
        hall = data.get("hall") or (self.instance.hall if self.instance.pk else None)
        events = data.get("events")
        if hall and events and any(event.hall_id != hall.pk for event in events):
            self.add_error("events", "Every event of a season is in its hall.")
        return data


class SeasonPriceInline(admin.TabularInline):
    model = SeasonPrice
    formset = CategoryPriceFormSet
    fields = ("category", "amount")
    extra = 2


@admin.register(Season)
class SeasonAdmin(ServiceAdmin):
    form = SeasonAdminForm
    inlines = [SeasonPriceInline]
    list_display = ("name", "hall", "status", "refund_rule", "event_count", "created_at")
    list_filter = ("status", "refund_rule", "hall__venue")
    search_fields = ("name", "hall__name", "hall__venue__name")
    list_select_related = ("hall__venue",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("season_events")

    @admin.display(description="events")
    def event_count(self, season: Season) -> int:
        return len(season.season_events.all())

    def get_readonly_fields(self, request, obj=None):
        return ("hall",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # close a season instead: its holds and bookings refer to it

    def save_model(self, request, obj, form, change):
        pass  # everything in save_related, where the prices of the inline are known

    def save_related(self, request, form, formsets, change):
        prices: dict[str, Decimal] = {}
        for formset in formsets:
            if isinstance(formset, CategoryPriceFormSet):
                prices.update(formset.prices())
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        data = form.cleaned_data
        event_ids = [event.pk for event in data["events"]]
        if change:
            season_update(
                season=form.instance,
                name=data["name"],
                status=data["status"],
                refund_rule=data["refund_rule"],
                event_ids=event_ids,
                prices=prices or None,
            )
        else:
            adopt(
                form.instance,
                season_create(
                    name=data["name"],
                    hall=data["hall"],
                    event_ids=event_ids,
                    prices=prices,
                    status=data["status"],
                    refund_rule=data["refund_rule"],
                ),
            )
