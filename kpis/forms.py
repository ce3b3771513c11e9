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


class KpiEditForm(forms.Form):
    """Inline edit on the department page: the owner and this period's band."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    minimum = forms.DecimalField(
        label=_("Minimum"), max_digits=16, decimal_places=4, required=False
    )
    stretch = forms.DecimalField(
        label=_("Stretch"), max_digits=16, decimal_places=4, required=False
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda m: m.display_name

    def clean(self):
        data = super().clean()
        minimum, stretch = data.get("minimum"), data.get("stretch")
        if minimum is None and stretch is not None and "minimum" not in self.errors:
            self.add_error("minimum", _("Give the minimum as well as the stretch."))
        if stretch is None and minimum is not None and "stretch" not in self.errors:
            self.add_error("stretch", _("Give the stretch as well as the minimum."))
        return data


class DepartmentCheckInForm(CheckInForm):
    kpi = forms.ChoiceField(label=_("KPI"))

    field_order = ["kpi", "action", "comment"]

    def __init__(self, *args, kpis, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = [("", "—")] + [(str(k.pk), k.name) for k in kpis]


class BoardConclusionForm(forms.Form):
    text = forms.CharField(
        label=_("Key conclusions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        help_text=_("Three to five sentences: what the board concluded this month."),
    )


class DigestSettingsForm(forms.Form):
    weekly_digest = forms.BooleanField(
        label=_("Send me the weekly digest"),
        required=False,
        help_text=_("Every Monday: status changes of your KPIs and alerts, with links."),
    )
