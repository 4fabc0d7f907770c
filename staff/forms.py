from django import forms
from django.utils.translation import gettext_lazy as _


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("Extend by (days)"), min_value=1, max_value=90, initial=5)


class ConfirmForm(forms.Form):
    """Destructive staff actions: a typed confirmation so a stray click does nothing."""

    confirm = forms.CharField(label=_("Type PURGE to confirm"), max_length=10)

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != "PURGE":
            raise forms.ValidationError(_("Type PURGE to confirm; nothing was deleted."))
        return "PURGE"
