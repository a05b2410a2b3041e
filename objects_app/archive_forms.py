"""Forms of the archive-restore screens (issue 14): the listing's restore column, and the
options of a restore campaign."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from objects_app.forms import _object_key


class RestoreStatesForm(forms.Form):
    """A batch of archived rows of one listing page: parallel `cell` ids and `key`s."""

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.cells = list(data.getlist("cell"))
        self.keys = list(data.getlist("key"))

    def clean(self) -> dict[str, Any]:
        if len(self.cells) != len(self.keys):
            raise forms.ValidationError(_("Each row needs one cell and one key."))
        if len(self.keys) > settings.CONSOLE_RESTORE_STATE_BATCH:
            raise forms.ValidationError(
                _("At most %(n)s rows at once.") % {"n": settings.CONSOLE_RESTORE_STATE_BATCH}
            )
        for cell in self.cells:
            if not cell.startswith("rs-") or not cell[3:].replace("-", "").isdigit():
                raise forms.ValidationError(_("This is not a row of the listing."))
        return {"rows": list(zip(self.cells, [_object_key(k) for k in self.keys], strict=True))}
