from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.models import Kpi
from kpis.periods import add_months
from portal.models import Department, Membership
from roadmap.models import RoadmapItem, quarter_label, quarter_start


def quarter_choices(*, today: date, keep: list[date | None]) -> list[tuple[str, str]]:
    """Three years back to three years ahead, plus the quarters an item already has."""
    first = add_months(quarter_start(today), -12)
    quarters = {add_months(first, 3 * n) for n in range(17)}
    quarters |= {quarter_start(q) for q in keep if q}
    return [(q.isoformat(), quarter_label(q)) for q in sorted(quarters)]


class RoadmapItemForm(forms.ModelForm):
    # Querysets are set per tenant in __init__ (no tenant is active at import time).
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    start_quarter = forms.TypedChoiceField(
        label=_("Planned start"), coerce=date.fromisoformat, choices=()
    )
    end_quarter = forms.TypedChoiceField(
        label=_("Planned end"), coerce=date.fromisoformat, choices=()
    )
    # Fields a head does not set when proposing an idea.
    ADMIN_ONLY = ("owner", "status", "progress", "done_on")

    class Meta:
        model = RoadmapItem
        fields = [
            "title",
            "description",
            "theme",
            "department",
            "owner",
            "start_quarter",
            "end_quarter",
            "status",
            "progress",
            "done_on",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "done_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "done_on": _("Set when the status becomes done; today if left empty."),
        }

    def __init__(self, *args, tenant, proposer=None, **kwargs):
        """`proposer`: a head's membership; the form then proposes an idea."""
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.proposer = proposer
        today = timezone.localdate()
        keep = [self.instance.start_quarter, self.instance.end_quarter] if self.instance.pk else []
        choices = quarter_choices(today=today, keep=keep)
        for name in ("start_quarter", "end_quarter"):
            self.fields[name].choices = choices
            if not self.instance.pk:
                self.fields[name].initial = quarter_start(today).isoformat()
            else:
                self.initial[name] = getattr(self.instance, name).isoformat()
        departments = Department.objects.filter(tenant=tenant)
        if proposer is not None:
            departments = departments.filter(pk__in=proposer.departments.values("pk"))
            for name in self.ADMIN_ONLY:
                del self.fields[name]
        self.fields["department"].queryset = departments
        if "owner" in self.fields:
            owners = Membership.objects.filter(tenant=tenant).select_related("user")
            self.fields["owner"].queryset = owners
            self.fields["owner"].label_from_instance = lambda m: m.display_name
        self.kpis = list(Kpi.objects.filter(tenant=tenant))
        effects = {}
        if self.instance.pk:
            effects = {link.kpi_id: link.expected_effect for link in self.instance.kpi_links.all()}
        for kpi in self.kpis:
            self.fields[f"kpi_{kpi.pk}"] = forms.CharField(
                label=_("Expected effect on %(kpi)s") % {"kpi": kpi.name},
                required=False,
                max_length=200,
                initial=effects.get(kpi.pk, ""),
            )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        clash = RoadmapItem.objects.filter(tenant=self.tenant, title__iexact=title)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("An item with this title exists already."))
        return title

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_quarter"), cleaned.get("end_quarter")
        if start and end and end < start:
            self.add_error("end_quarter", _("The end comes before the start."))
        return cleaned

    def item_fields(self) -> list:
        return [self[name] for name in self.fields if not name.startswith("kpi_")]

    def kpi_fields(self) -> list:
        return [(kpi, self[f"kpi_{kpi.pk}"]) for kpi in self.kpis]

    def item_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.fields}
        if self.proposer is not None:
            data.update(status=RoadmapItem.Status.IDEA, owner=self.proposer, progress=0)
        return data

    def kpi_effects(self) -> dict[Kpi, str]:
        return {
            kpi: self.cleaned_data[f"kpi_{kpi.pk}"].strip()
            for kpi in self.kpis
            if self.cleaned_data[f"kpi_{kpi.pk}"].strip()
        }
