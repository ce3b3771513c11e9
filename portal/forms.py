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
