"""The evaluator agrees with what COS (coslocal) enforces, case by case.

Each case sets up ACLs and a policy through the official SDK (the owner), then, for each key and
each reader (anonymous, the owner's sub-account, another root account), checks three things:
the console's answer (`selectors.who_can_read`, which fetches the three sources through our
client and runs the evaluator), the deciding rule, and a real GET by that reader through the
official SDK. The expected answers are written down from the protocol's rules, so a wrong
evaluator and a wrong coslocal cannot agree with each other by accident.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from qcloud_cos import CosServiceError

from objects_app.access import decide as d
from objects_app.access.principals import ANYONE, account
from objects_app.selectors import permissions as selectors
from tests.conftest import APPID
from tests.console.conftest import ACL_OTHER_UIN, ACL_OWNER_UIN, ACL_SUB_UIN
from tests.console.test_permissions import policy_text

ANY = "qcs::cam::anyone:anyone"
SUB_QCS = f"qcs::cam::uin/{ACL_OWNER_UIN}:uin/{ACL_SUB_UIN}"
OTHER_QCS = f"qcs::cam::uin/{ACL_OTHER_UIN}:uin/{ACL_OTHER_UIN}"
WHO = {
    "anyone": ANYONE,
    "sub": account(ACL_OWNER_UIN, ACL_SUB_UIN),
    "other": account(ACL_OTHER_UIN),
}
_names = itertools.count()

Setup = Callable[[Any, str], None]
# key -> {reader: (allowed, rule kind)}
Expect = dict[str, dict[str, tuple[bool, str]]]


def _all(allowed: bool, kind: str) -> dict[str, tuple[bool, str]]:
    return {reader: (allowed, kind) for reader in WHO}


def _policy(sdk: Any, bucket: str, *statements: tuple[str, str, list[str], str]) -> None:
    sdk.put_bucket_policy(Bucket=bucket, Policy=json.loads(policy_text(bucket, *statements)))


def _put(sdk: Any, bucket: str, key: str, **acl: str) -> None:
    sdk.put_object(Bucket=bucket, Key=key, Body=key.encode(), **acl)


def object_public_read(sdk: Any, bucket: str) -> None:
    _put(sdk, bucket, "k", ACL="public-read")


def bucket_public_inherited(sdk: Any, bucket: str) -> None:
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read")
    _put(sdk, bucket, "inherits")
    _put(sdk, bucket, "private", ACL="private")


def policy_prefix(sdk: Any, bucket: str) -> None:
    _put(sdk, bucket, "public/a.png")
    _put(sdk, bucket, "other/b.png")
    _policy(sdk, bucket, ("allow", ANY, ["name/cos:GetObject"], "public/*"))


def policy_deny_wins(sdk: Any, bucket: str) -> None:
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read")
    _put(sdk, bucket, "secret/k", ACL="public-read")
    _put(sdk, bucket, "open/k")
    _policy(
        sdk,
        bucket,
        ("allow", ANY, ["name/cos:*"], "*"),
        ("deny", ANY, ["name/cos:Get*"], "secret/*"),
    )


def grants_to_accounts(sdk: Any, bucket: str) -> None:
    _put(sdk, bucket, "k", ACL="private", GrantRead=f'id="{SUB_QCS}",id="{ACL_OTHER_UIN}"')


def authenticated_read(sdk: Any, bucket: str) -> None:
    _put(sdk, bucket, "k", ACL="authenticated-read")


def policy_for_sub_account(sdk: Any, bucket: str) -> None:
    _put(sdk, bucket, "docs/a")
    _put(sdk, bucket, "docs/private/a", ACL="public-read")
    _policy(
        sdk,
        bucket,
        ("allow", SUB_QCS, ["name/cos:Get*"], "docs/*"),
        ("deny", SUB_QCS, ["*"], "docs/private/*"),
    )


def bucket_grant_to_other_root(sdk: Any, bucket: str) -> None:
    sdk.put_bucket_acl(Bucket=bucket, GrantRead=f'id="{ACL_OTHER_UIN}"')
    _put(sdk, bucket, "k")


def exact_grant_list_to_anyone(sdk: Any, bucket: str) -> None:
    _put(sdk, bucket, "k")
    grantee = {
        "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "@xsi:type": "CanonicalUser",
        "ID": ANY,
    }
    sdk.put_object_acl(
        Bucket=bucket,
        Key="k",
        AccessControlPolicy={
            "Owner": {"ID": f"qcs::cam::uin/{APPID}:uin/{APPID}"},
            "AccessControlList": {"Grant": [{"Grantee": grantee, "Permission": "READ"}]},
        },
    )


NO = (False, d.NOTHING)
CASES: dict[str, tuple[Setup, Expect]] = {
    "object ACL public-read": (object_public_read, {"k": _all(True, d.OBJECT_ACL)}),
    "bucket ACL public-read, inherited by default objects only": (
        bucket_public_inherited,
        {"inherits": _all(True, d.BUCKET_ACL), "private": _all(*NO)},
    ),
    "policy allows anyone on a prefix": (
        policy_prefix,
        {"public/a.png": _all(True, d.POLICY_ALLOW), "other/b.png": _all(*NO)},
    ),
    "a Deny wins over ACLs and an Allow": (
        policy_deny_wins,
        {"secret/k": _all(False, d.POLICY_DENY), "open/k": _all(True, d.BUCKET_ACL)},
    ),
    "object grants to a sub-account and another root": (
        grants_to_accounts,
        {"k": {"anyone": NO, "sub": (True, d.OBJECT_ACL), "other": (True, d.OBJECT_ACL)}},
    ),
    "authenticated-read": (
        authenticated_read,
        {"k": {"anyone": NO, "sub": (True, d.OBJECT_ACL), "other": (True, d.OBJECT_ACL)}},
    ),
    "policy for a sub-account, with a Deny inside": (
        policy_for_sub_account,
        {
            "docs/a": {"anyone": NO, "sub": (True, d.POLICY_ALLOW), "other": NO},
            "docs/private/a": {
                "anyone": (True, d.OBJECT_ACL),
                "sub": (False, d.POLICY_DENY),
                "other": (True, d.OBJECT_ACL),
            },
        },
    ),
    "bucket ACL grant to another root account": (
        bucket_grant_to_other_root,
        {"k": {"anyone": NO, "sub": NO, "other": (True, d.BUCKET_ACL)}},
    ),
    "a grant list naming qcs::cam::anyone:anyone": (
        exact_grant_list_to_anyone,
        {"k": _all(True, d.OBJECT_ACL)},
    ),
}


def _really_reads(client: Any, bucket: str, key: str) -> bool:
    try:
        client.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read()
    except CosServiceError as exc:
        assert exc.get_status_code() == 403, exc.get_error_code()
        return False
    return True


@pytest.mark.parametrize("case", list(CASES))
def test_evaluator_agrees_with_enforcement(case: str, acl_console, readers) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import official_sdk

    setup, expected = CASES[case]
    owner = official_sdk(acl_console)
    bucket = f"acl{next(_names)}-{APPID}"
    owner.create_bucket(Bucket=bucket)
    setup(owner, bucket)
    for key, by_reader in expected.items():
        for reader, (allowed, kind) in by_reader.items():
            answer = selectors.who_can_read(
                bucket=bucket, target=key, is_prefix=False, who=WHO[reader]
            )
            where = f"{case}: {reader} reading {key}"
            assert answer.allowed is allowed, f"{where}: {answer.sentence}"
            assert kind_of(answer) == kind, where
            assert _really_reads(readers[reader], bucket, key) is allowed, f"{where} (coslocal)"


def kind_of(answer: selectors.WhoAnswer) -> str:
    return answer.rule_kind


def test_owner_reads_everything_even_when_denied(acl_console) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import official_sdk

    owner = official_sdk(acl_console)
    bucket = f"acl{next(_names)}-{APPID}"
    owner.create_bucket(Bucket=bucket)
    policy_deny_wins(owner, bucket)
    answer = selectors.who_can_read(
        bucket=bucket, target="secret/k", is_prefix=False, who=account(ACL_OWNER_UIN)
    )
    assert answer.allowed is True and answer.rule_kind == d.OWNER
    assert _really_reads(owner, bucket, "secret/k")
    assert json.loads(owner.get_bucket_policy(Bucket=bucket)["Policy"])


def test_each_version_is_judged_by_its_own_acl(acl_console, readers) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import official_sdk

    owner = official_sdk(acl_console)
    bucket = f"acl{next(_names)}-{APPID}"
    owner.create_bucket(Bucket=bucket)
    owner.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    old = owner.put_object(Bucket=bucket, Key="v", Body=b"old", ACL="public-read")
    owner.put_object(Bucket=bucket, Key="v", Body=b"new", ACL="private")
    old_id = old["x-cos-version-id"]
    for version, allowed in ((old_id, True), ("", False)):
        answer = selectors.who_can_read(
            bucket=bucket, target="v", is_prefix=False, who=ANYONE, version_id=version
        )
        assert answer.allowed is allowed
        try:
            kwargs = {"VersionId": version} if version else {}
            readers["anyone"].get_object(Bucket=bucket, Key="v", **kwargs)[
                "Body"
            ].get_raw_stream().read()
            really = True
        except CosServiceError as exc:
            assert exc.get_status_code() == 403
            really = False
        assert really is allowed, version
