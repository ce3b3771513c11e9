from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.models import CheckIn


class CheckInForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), choices=CheckIn.Action.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("What and why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Start, stop or continue doing something to move this KPI."),
    )


class ManualValueForm(forms.Form):
    period_start = forms.DateField(
        label=_("Period (first day)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    value = forms.FloatField(label=_("Value"))
