"""Forms of the permissions screens: ACL changes, the bucket policy, and "who can read this?"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app import keys
from objects_app.access.acl import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    BUCKET_CANNED,
    BUCKET_PERMISSIONS,
    OBJECT_CANNED,
    OBJECT_PERMISSIONS,
    Grant,
)
from objects_app.access.checks import MAX_POLICY_BYTES
from objects_app.access.principals import (
    ANYONE,
    AUTHENTICATED,
    Principal,
    PrincipalError,
    parse_account,
)
from objects_app.services.permissions import AclChange

ACCOUNT_FORMS = gettext_lazy(
    "Enter an account uin (digits, e.g. 100000000001), a sub-account as <root uin>:<sub uin>, "
    "or a CAM principal qcs::cam::uin/<root uin>:uin/<uin>."
)
PRINCIPAL_CHOICES = [
    ("anyone", gettext_lazy("Anyone on the internet")),
    ("authenticated", gettext_lazy("Any signed-in Tencent Cloud user")),
    ("account", gettext_lazy("An account or sub-account")),
]
GRANTEE_CHOICES = [
    ("everyone", gettext_lazy("Everyone (anonymous included)")),
    ("signed-in", gettext_lazy("Every signed-in Tencent Cloud user")),
    ("account", gettext_lazy("An account or sub-account")),
]


def _account(value: str) -> Principal:
    try:
        return parse_account(value)
    except PrincipalError:
        raise forms.ValidationError(ACCOUNT_FORMS) from None


class WhoForm(forms.Form):
    """ "Who can read this?": an object or a prefix, and a principal."""

    target = forms.CharField(required=False, strip=False)
    scope = forms.ChoiceField(
        required=False,
        choices=[("object", gettext_lazy("Object")), ("prefix", gettext_lazy("Prefix"))],
    )
    principal = forms.ChoiceField(choices=PRINCIPAL_CHOICES)
    account = forms.CharField(required=False, max_length=80)
    version_id = forms.CharField(required=False, max_length=128)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = str(data.get("target") or "")
        scope = data.get("scope") or ("prefix" if not target or target.endswith("/") else "object")
        data["is_prefix"] = scope == "prefix"
        try:
            check = keys.check_prefix if data["is_prefix"] else keys.check_key
            check(target, _("object or prefix"))
        except keys.NameRuleError as exc:
            self.add_error("target", str(exc))
        data["who"] = self._who(data)
        return data

    def _who(self, data: dict[str, Any]) -> Principal | None:
        kind = data.get("principal")
        if kind == "anyone":
            return ANYONE
        if kind == "authenticated":
            return AUTHENTICATED
        try:
            return _account(str(data.get("account") or ""))
        except forms.ValidationError as exc:
            self.add_error("account", exc)
            return None


def _grantee(kind: str, text: str) -> str:
    if kind == "everyone":
        return ALL_USERS
    if kind == "signed-in":
        return AUTHENTICATED_USERS
    return _account(text).qcs


class AclChangeForm(forms.Form):
    """One change to an ACL: set the canned ACL, add a grant, or remove one."""

    op = forms.ChoiceField(choices=[("canned", "canned"), ("add", "add"), ("remove", "remove")])
    canned = forms.ChoiceField(required=False)
    grantee_kind = forms.ChoiceField(required=False, choices=GRANTEE_CHOICES)
    grantee = forms.CharField(required=False, max_length=80)
    permission = forms.ChoiceField(required=False)
    grant = forms.CharField(required=False, max_length=300)
    confirmed = forms.BooleanField(required=False)

    bucket_level = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        canned = BUCKET_CANNED if self.bucket_level else OBJECT_CANNED
        permissions = BUCKET_PERMISSIONS if self.bucket_level else OBJECT_PERMISSIONS
        self.fields["canned"].choices = [(c, c) for c in canned]  # type: ignore[attr-defined]
        self.fields["permission"].choices = [(p, p) for p in permissions]  # type: ignore[attr-defined]
        listed = ", ".join(permissions)
        self.fields["permission"].error_messages["invalid_choice"] = _(
            "Unknown permission: choose one of %(list)s."
        ) % {"list": listed}
        self.fields["canned"].error_messages["invalid_choice"] = _(
            "Unknown canned ACL: choose one of %(list)s."
        ) % {"list": ", ".join(canned)}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        op = data.get("op")
        if op == "canned" and not data.get("canned") and "canned" not in self.errors:
            self.add_error("canned", _("Choose a canned ACL."))
        elif op == "add":
            data["change_grant"] = self._new_grant(data)
        elif op == "remove":
            data["change_grant"] = self._listed_grant(str(data.get("grant") or ""))
        if not self.errors and op:
            data["change"] = AclChange(op, str(data.get("canned") or ""), data.get("change_grant"))
        return data

    def _new_grant(self, data: dict[str, Any]) -> Grant | None:
        if not data.get("permission") and "permission" not in self.errors:
            self.add_error("permission", _("Choose a permission."))
        try:
            grantee = _grantee(str(data.get("grantee_kind") or "account"), str(data.get("grantee")))
        except forms.ValidationError as exc:
            self.add_error("grantee", exc)
            return None
        return Grant(grantee, str(data.get("permission") or ""))

    def _listed_grant(self, value: str) -> Grant | None:
        permission, _sep, grantee = value.partition("|")
        permissions = BUCKET_PERMISSIONS if self.bucket_level else OBJECT_PERMISSIONS
        if permission not in permissions or not grantee:
            self.add_error("grant", _("This does not name a grant."))
            return None
        return Grant(grantee, permission)


class ObjectAclChangeForm(AclChangeForm):
    bucket_level = False
    key = forms.CharField(strip=False)

    def clean_key(self) -> str:
        try:
            return keys.check_key(self.cleaned_data["key"])
        except keys.NameRuleError as exc:
            raise forms.ValidationError(str(exc)) from None


class PolicyForm(forms.Form):
    # The byte limit is checked with the other policy rules (so the reason names bytes, not
    # characters); this cap only stops absurd bodies before they are parsed.
    policy = forms.CharField(strip=True, max_length=4 * MAX_POLICY_BYTES, widget=forms.Textarea)
    confirmed = forms.BooleanField(required=False)


class ConfirmForm(forms.Form):
    confirmed = forms.BooleanField(required=False)
