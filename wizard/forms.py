from django import forms
from django.utils.translation import gettext_lazy as _


class NewMigrationForm(forms.Form):
    name = forms.CharField(
        label=_("Migration name"),
        max_length=120,
        help_text=_("Something your colleagues will recognise, e.g. “Zendesk → Front (support inbox)”."),
    )
