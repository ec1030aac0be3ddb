"""The admin's inline of prices per seat category, shared by events and seasons."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms.models import BaseInlineFormSet

from config.errors import Invalid
from ticketing.services.events import event_prices_validate, hall_categories


class CategoryPriceFormSet(BaseInlineFormSet):
    """An event's or a season's prices, checked against its hall's categories before anything is
    saved (the parent's ``hall``)."""

    def prices(self) -> dict[str, Decimal]:
        return {
            form.cleaned_data["category"].strip(): form.cleaned_data["amount"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("category")
            and form.cleaned_data.get("amount") is not None
        }

    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.hall_id:
            return
        try:
            event_prices_validate(prices=self.prices(), categories=hall_categories(hall=self.instance.hall))
        except Invalid as error:
            raise forms.ValidationError(str(error.detail)) from error
