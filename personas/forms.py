from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from personas.models import JourneyMoment, Persona, PersonaRule
from personas.rules import CHARACTERISTICS, Condition, condition_check
from portal.models import Membership

BLANK_RULE_ROWS = 2


class PersonaForm(forms.ModelForm):
    # The queryset is set per tenant in __init__ (no tenant is active at import time).
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)

    class Meta:
        model = Persona
        fields = [
            "name",
            "icon",
            "summary",
            "priority",
            "owner",
            "review_interval_days",
            "last_reviewed_on",
            "description",
            "needs",
            "pains",
            "buying_motives",
            "preferred_channels",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "needs": forms.Textarea(attrs={"rows": 2}),
            "pains": forms.Textarea(attrs={"rows": 2}),
            "buying_motives": forms.Textarea(attrs={"rows": 2}),
            "last_reviewed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["owner"].queryset = Membership.objects.filter(tenant=tenant).select_related(
            "user"
        )
        self.fields["owner"].label_from_instance = lambda m: m.display_name
        notes = self.instance.journey_notes or {}
        for value, label in JourneyMoment.choices:
            self.fields[f"moment_{value}"] = forms.CharField(
                label=_("Journey moment: %(moment)s") % {"moment": label},
                required=False,
                max_length=500,
                initial=notes.get(value, ""),
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Leave empty when this moment does not matter for the persona."),
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Persona.objects.filter(tenant=self.tenant, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("A persona with this name exists already."))
        return name

    def persona_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["journey_notes"] = {
            value: self.cleaned_data[f"moment_{value}"].strip()
            for value, _label in JourneyMoment.choices
            if self.cleaned_data[f"moment_{value}"].strip()
        }
        return data


def _field_choices():
    return [("", _("— no rule —"))] + [(c.key, c.label) for c in CHARACTERISTICS.values()]


class RuleForm(forms.Form):
    group = forms.IntegerField(label=_("Group"), min_value=1, max_value=99, initial=1)
    field = forms.ChoiceField(label=_("Characteristic"), required=False, choices=_field_choices)
    operator = forms.ChoiceField(label=_("Operator"), choices=PersonaRule.Operator.choices)
    value = forms.CharField(label=_("Value"), required=False, max_length=200)

    def clean(self):
        cleaned = super().clean()
        if self.errors or not cleaned.get("field"):
            return cleaned
        try:
            condition_check(self.condition())
        except ValidationError as exc:
            self.add_error("value", exc)
        return cleaned

    def condition(self) -> Condition | None:
        cleaned = self.cleaned_data
        if not cleaned.get("field"):
            return None
        return Condition(
            cleaned["group"], cleaned["field"], cleaned["operator"], cleaned.get("value", "")
        )


RuleFormSet = forms.formset_factory(RuleForm, extra=0, max_num=30, absolute_max=30)


def rule_formset(data=None, *, rules=None) -> forms.BaseFormSet:
    initial = [
        {"group": r.group, "field": r.field, "operator": r.operator, "value": r.value}
        for r in rules or []
    ]
    initial += [{"group": 1, "field": "", "operator": "eq", "value": ""}] * BLANK_RULE_ROWS
    return RuleFormSet(data, initial=None if data is not None else initial, prefix="rules")


def rule_row_added(data):
    """A copy of posted editor data with one more (empty) rule row."""
    data = data.copy()
    total = int(data.get("rules-TOTAL_FORMS") or 0)
    if total < RuleFormSet.max_num:
        data["rules-TOTAL_FORMS"] = str(total + 1)
        data[f"rules-{total}-group"] = data.get(f"rules-{total - 1}-group", "1") or "1"
        data[f"rules-{total}-operator"] = "eq"
    return data


def formset_conditions(formset) -> list[Condition]:
    return [c for c in (f.condition() for f in formset.forms) if c is not None]


class TableUploadForm(forms.Form):
    """A CSV or XLSX file of personas or roadmap items."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (comma or semicolon) or Excel .xlsx, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError(_("The file may be at most 5 MB."))
        return upload
