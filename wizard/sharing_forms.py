from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wizard.models import Share

LINK_EXPIRY_CHOICES = [
    (1, _("1 day")),
    (7, _("7 days")),
    (30, _("30 days")),
    (0, _("Never (until used or withdrawn)")),
]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's email"), max_length=254)
    level = forms.TypedChoiceField(
        label=_("Access"), choices=Share.LevelChoice.choices, coerce=int, initial=Share.LevelChoice.VIEWER
    )


class LinkForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("Access"), choices=Share.LevelChoice.choices, coerce=int, initial=Share.LevelChoice.VIEWER
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Link valid for"), choices=LINK_EXPIRY_CHOICES, coerce=int, initial=7
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.SHARE_LINK_TTL_DAYS in dict(LINK_EXPIRY_CHOICES):  # the operator's default choice
            self.fields["expires_in_days"].initial = settings.SHARE_LINK_TTL_DAYS


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Access"), choices=Share.LevelChoice.choices, coerce=int)


class ConfirmPurgeForm(forms.Form):
    """Deleting data cannot be undone: the owner types the migration's name to confirm."""

    confirm_name = forms.CharField(label=_("Type the migration's name to confirm"), max_length=120)

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.migration = migration

    def clean_confirm_name(self) -> str:
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.migration.name.strip():
            raise forms.ValidationError(_("The name does not match; nothing was deleted."))
        return value
