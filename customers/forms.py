from django import forms
from django.utils.translation import gettext_lazy as _

from customers.importing.kinds import KINDS

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
KIND_LABELS = {
    "customers": _("Customers"),
    "contacts": _("Contacts"),
    "orders": _("Orders"),
    "order_lines": _("Order lines"),
    "web_activity": _("Web activity"),
    "funnel_events": _("Funnel events"),
    "surveys": _("Survey responses (NPS/CES)"),
    "platform": _("Platform samples"),
}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What does the file contain?"), choices=list(KIND_LABELS.items())
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, UTF-16 or Windows-1252; comma or semicolon) or XLSX."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind not in KINDS:
            raise forms.ValidationError(_("Unknown kind."))
        return kind

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Files may be at most 200 MB; split larger files."))
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload
