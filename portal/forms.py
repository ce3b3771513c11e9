from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import GlossaryTerm


class GlossaryTermForm(forms.ModelForm):
    class Meta:
        model = GlossaryTerm
        fields = ["term", "definition"]
        widgets = {"definition": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"term": _("For example: “When is someone a customer?”")}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_term(self) -> str:
        term = self.cleaned_data["term"].strip()
        clash = GlossaryTerm.objects.filter(tenant=self.tenant, term__iexact=term)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This term is already defined."))
        return term


def _kind_choices():
    from portal.audit import audited_models

    kinds = [(m._meta.label, str(m._meta.verbose_name).capitalize()) for m in audited_models()]
    return [("", _("All kinds")), *sorted(kinds, key=lambda kind: kind[1])]


class AuditFilterForm(forms.Form):
    """The audit page's filters (GET); every field optional."""

    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_kind_choices)
    action = forms.ChoiceField(label=_("Action"), required=False)
    who = forms.CharField(label=_("Who"), required=False, max_length=150)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        from portal.models import AuditEntry

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AuditEntry.Action.choices]
        self.fields["who"].help_text = _("A username, “api-token”, “task” or “command”.")

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("“Until” is before “From”."))
        return data
