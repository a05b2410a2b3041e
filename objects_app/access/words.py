"""Access answers in words: one sentence with its reason, data marked so it is never translated.

Sentences are built as "<who> can read this object, because <rule>." so each rule has one
phrase, reused for the "also" list and the audit report. Data (keys, patterns, principals,
canned ACL names) goes in `<code translate="no">`; everything else is translated.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from objects_app.access import decide as d
from objects_app.access.acl import ACCOUNT, EVERYONE, SIGNED_IN, Grant
from objects_app.access.policy import Match, action_label
from objects_app.access.prefix import PrefixDecision
from objects_app.access.principals import Principal


def code(value: str) -> SafeString:
    return format_html('<code translate="no">{}</code>', value)


def who_words(who: Principal, owner: str = "") -> str:
    if who.kind == "anyone":
        return _("Anyone on the internet")
    if who.kind == "authenticated":
        return _("Any signed-in Tencent Cloud user")
    if who.qcs == owner:
        return _("The bucket owner's account")
    if who.is_root:
        return _("Account %(uin)s") % {"uin": who.uin}
    return _("Sub-account %(uin)s of account %(root)s") % {"uin": who.uin, "root": who.root}


def who_inline(who: Principal, owner: str = "") -> str:
    """The same, in the middle of a sentence."""
    if who.kind == "anyone":
        return _("anyone on the internet")
    if who.kind == "authenticated":
        return _("any signed-in Tencent Cloud user")
    if who.qcs == owner:
        return _("the bucket owner's account")
    if who.is_root:
        return _("account %(uin)s") % {"uin": who.uin}
    return _("sub-account %(uin)s of account %(root)s") % {"uin": who.uin, "root": who.root}


def grantee_words(grant: Grant, owner: str = "") -> str:
    kind = grant.kind
    if kind == EVERYONE:
        return _("everyone (anonymous included)")
    if kind == SIGNED_IN:
        return _("every signed-in Tencent Cloud user")
    if kind == ACCOUNT and grant.account is not None:
        return who_inline(grant.account, owner)
    return _("an unrecognised grantee")


PERMISSION_WORDS = {
    "READ": lambda: _("read"),
    "WRITE": lambda: _("write objects"),
    "READ_ACP": lambda: _("read the ACL"),
    "WRITE_ACP": lambda: _("change the ACL"),
    "FULL_CONTROL": lambda: _("everything"),
}


def permission_words(permission: str) -> str:
    words = PERMISSION_WORDS.get(permission)
    return words() if words else _("unknown permission")


def _statement_phrase(match: Match, verb_allow: bool) -> SafeString:
    text = (
        _("bucket policy statement {n} allows {action} on {where}")
        if verb_allow
        else _("bucket policy statement {n} denies {action} on {where}")
    )
    return format_html(
        text,
        n=match.statement.number,
        action=code(action_label(match.action)),
        where=code(match.where),
    )


def _acl_phrase(rule: d.Rule, owner: str, *, bucket: bool) -> SafeString:
    grant = rule.grant
    assert grant is not None
    if rule.canned:
        text = (
            _("the bucket ACL is {canned} and this object inherits it")
            if bucket
            else _("its ACL grants {canned}")
        )
        return format_html(text, canned=code(rule.canned))
    text = (
        _("the bucket ACL grants {permission} to {grantee} and this object inherits it")
        if bucket
        else _("its ACL grants {permission} to {grantee}")
    )
    return format_html(text, permission=code(grant.permission), grantee=grantee_words(grant, owner))


def rule_phrase(rule: d.Rule, owner: str = "") -> SafeString:
    """Why, as a clause that follows "because"."""
    if rule.kind == d.OBJECT_ACL:
        return _acl_phrase(rule, owner, bucket=False)
    if rule.kind == d.BUCKET_ACL:
        return _acl_phrase(rule, owner, bucket=True)
    if rule.kind in (d.POLICY_ALLOW, d.POLICY_DENY) and rule.match is not None:
        return _statement_phrase(rule.match, rule.kind == d.POLICY_ALLOW)
    if rule.kind == d.POLICY_MAYBE and rule.match is not None:
        phrase = _statement_phrase(rule.match, rule.match.statement.effect == "allow")
        return format_html(
            _("{statement}, under conditions the console does not evaluate"), statement=phrase
        )
    if rule.kind == d.OWNER:
        return format_html("{}", _("the bucket owner's root account always has full access"))
    if rule.kind == d.ACL_UNREADABLE:
        error = rule.error or _("error")
        return format_html(_("the object's ACL could not be read ({error})"), error=code(error))
    return format_html("{}", _("no ACL grant and no bucket policy statement gives read access"))


def decision_sentence(decision: d.Decision, owner: str = "") -> SafeString:
    """The one-sentence answer for one object."""
    who = who_words(decision.who, owner)
    why = rule_phrase(decision.rule, owner)
    if decision.allowed is None:
        return format_html(
            _("Unknown whether {who} can read this object: {why}."),
            who=who_inline(decision.who, owner),
            why=why,
        )
    if decision.allowed:
        return format_html(_("{who} can read this object, because {why}."), who=who, why=why)
    if decision.rule.kind == d.NOTHING and decision.who.kind == "anyone":
        return format_html("{}", _("Only the account and the grants below can read it."))
    return format_html(_("{who} cannot read this object, because {why}."), who=who, why=why)


def cam_note(who: Principal, owner: str) -> str:
    """Sub-accounts of the owner may hold CAM policies the console cannot see."""
    owner_root = owner.split(":uin/")[-1] if owner else ""
    if who.kind == "account" and not who.is_root and who.root == owner_root:
        return _(
            "CAM policies attached to this sub-account can grant it more; the console cannot "
            "see them."
        )
    return ""


def prefix_sentence(decision: PrefixDecision, owner: str = "") -> SafeString:
    who = who_words(decision.who, owner)
    prefix = code(decision.prefix or "/")
    if decision.allowed and decision.rule is not None:
        why = rule_phrase(decision.rule, owner)
        return format_html(
            _("{who} can read every object under {prefix}, because {why}."),
            who=who,
            prefix=prefix,
            why=why,
        )
    if decision.allowed is False and decision.rule is not None:
        why = rule_phrase(decision.rule, owner)
        return format_html(
            _("{who} cannot read any object under {prefix}, because {why}."),
            who=who,
            prefix=prefix,
            why=why,
        )
    return format_html(
        _("Whether {who} can read an object under {prefix} depends on the object:"),
        who=who_inline(decision.who, owner),
        prefix=prefix,
    )


def prefix_points(decision: PrefixDecision, owner: str = "") -> list[SafeString]:
    """The rules that can play a part when the answer depends on the object."""
    points = []
    if decision.bucket_acl is not None:
        points.append(
            format_html(
                _("objects whose ACL is {default} can be read, because {why}"),
                default=code("default"),
                why=rule_phrase(decision.bucket_acl, owner),
            )
        )
    else:
        points.append(
            format_html(
                _(
                    "the bucket ACL gives no read access, so objects whose ACL is "
                    "{default} cannot be read through it"
                ),
                default=code("default"),
            )
        )
    for match in decision.partial:
        phrase = _statement_phrase(match, match.statement.effect == "allow")
        points.append(format_html(_("for some of these keys, {why}"), why=phrase))
    points.append(format_html("{}", _("each object's own ACL can grant read access")))
    return points
