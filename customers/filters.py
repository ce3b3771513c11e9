"""The customer table's search, filters and sort, read from a bookmarkable query string."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import CustomerScore, Signal
from customers.portfolio import SORTS, ChannelMix, Risk


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or customer number")}
        ),
    )
    persona = forms.ChoiceField(label=_("Persona"), required=False)
    segment = forms.ChoiceField(
        label=_("RFM segment"),
        required=False,
        choices=[("", _("All segments")), *CustomerScore.Segment.choices],
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *ChannelMix.CHOICES],
    )
    risk = forms.ChoiceField(
        label=_("Churn risk"), required=False, choices=[("", _("Any risk")), *Risk.CHOICES]
    )
    signal = forms.ChoiceField(
        label=_("Signal"), required=False, choices=[("", _("Any signal")), *Signal.Kind.choices]
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(key, key) for name in SORTS for key in (name, f"-{name}")],
    )

    def __init__(self, data=None, *, personas: dict, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["persona"].choices = [
            ("", _("All personas")),
            *((str(pk), p.name) for pk, p in personas.items()),
            ("none", _("No persona")),
        ]

    def filters(self) -> dict:
        """The valid filters; a field with a bad value is left out (and shows its error)."""
        self.is_valid()
        values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        return {
            "search": values["q"].strip(),
            "persona": values["persona"],
            "segment": values["segment"],
            "channel": values["channel"],
            "risk": values["risk"],
            "signal": values["signal"],
            "sort": values["sort"] or "name",
        }
