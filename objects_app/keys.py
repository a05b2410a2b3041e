"""COS's naming rules, once, for every path that names a bucket, a key or a prefix.

Every form field, URL and service that takes a key uses these checks, so a key refused by one
path (large upload) is refused the same way, with the same message, by every other path (direct
upload, new folder, copy, rename). Source: cos-protocol.md §2.2 and §2.3.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

MAX_KEY_BYTES = 850
# Bucket: `<name>-<appid>`, lowercase letters, digits and dashes, not starting or ending with a
# dash; the whole host `<bucket>.cos.<region>.myqcloud.com` is at most 60 characters, so the
# full name is at most 60 - len(".cos.ap-guangzhou.myqcloud.com") in practice; 63 is the hard cap.
BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")
MAX_BUCKET_CHARS = 63
# COS forbids CAN, EM, SUB and ESC in keys (and NUL can never travel); objects with other control
# characters exist (made by other tools) and must stay reachable, so only names the console
# *creates* are held to the stricter rule below.
FORBIDDEN = re.compile(r"[\x00\x18-\x1b]")
# Control characters (C0 and DEL) cannot be typed, shown or sent safely in a header: no new key
# made through the console (upload, large upload, new folder, copy, move, rename) may hold one.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# COS version ids are printable ASCII tokens ("null" included): base64-like text. Anything else
# cannot name a version, so it is refused before it reaches COS.
VERSION_ID = re.compile(r"[A-Za-z0-9._~=+/-]{1,128}")


class NameRuleError(ValueError):
    """A name that breaks COS's rules; the message is for the user, already translated."""


def check_bucket(name: str) -> str:
    if len(name) > MAX_BUCKET_CHARS or not BUCKET_NAME.match(name):
        raise NameRuleError(
            _(
                "“%(name)s” is not a valid bucket name: COS bucket names look like "
                "name-1250000000 (lowercase letters, digits and dashes, then the APPID)."
            )
            % {"name": name[:80]}
        )
    return name


def check_prefix(value: str, what: str | None = None) -> str:
    """A prefix, marker or filter: may be empty; otherwise any text a key could start with."""
    what = what or _("prefix")
    if len(value.encode("utf-8")) > MAX_KEY_BYTES:
        raise NameRuleError(
            _("The %(what)s is longer than COS's limit of %(limit)d bytes.")
            % {"what": what, "limit": MAX_KEY_BYTES}
        )
    if FORBIDDEN.search(value):
        raise NameRuleError(
            _("The %(what)s contains a character COS does not allow in keys.") % {"what": what}
        )
    return value


def check_key(value: str, what: str | None = None) -> str:
    """An existing object's key (COS's rule): 1 to 850 UTF-8 bytes, not starting with / or \\."""
    what = what or _("key")
    if not value:
        raise NameRuleError(_("The %(what)s must not be empty.") % {"what": what})
    if value[0] in "/\\":
        raise NameRuleError(_("The %(what)s must not start with / or \\.") % {"what": what})
    return check_prefix(value, what)


def check_new_key(value: str, what: str | None = None) -> str:
    """A key the console is about to create: COS's rule, and no control characters."""
    check_key(value, what)
    if CONTROL.search(value):
        raise NameRuleError(
            _("The %(what)s contains control characters (such as a line break).")
            % {"what": what or _("key")}
        )
    return value


def check_name_segment(value: str, what: str | None = None) -> str:
    """One path segment (a folder name, a new name on rename): no '/', not '.' or '..'."""
    what = what or _("name")
    if not value:
        raise NameRuleError(_("The %(what)s must not be empty.") % {"what": what})
    if "/" in value or "\\" in value:
        raise NameRuleError(_("The %(what)s must not contain / or \\.") % {"what": what})
    if value in (".", ".."):
        raise NameRuleError(_("The %(what)s cannot be “.” or “..”.") % {"what": what})
    check_prefix(value, what)
    if CONTROL.search(value):
        raise NameRuleError(
            _("The %(what)s contains control characters (such as a line break).") % {"what": what}
        )
    return value


def check_version_id(value: str) -> str:
    """A version id the console was given (query string, form): refused unless it could be one."""
    if not VERSION_ID.fullmatch(value):
        raise NameRuleError(_("This is not a valid version id."))
    return value
