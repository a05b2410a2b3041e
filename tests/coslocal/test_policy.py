"""Bucket policies (`?policy`) and their enforcement with ACLs, through the official SDK.

Issue 13: coslocal stores and enforces policies of the forms the COS console writes, for anonymous
callers, the owner's sub-accounts and other root accounts; Deny wins; bad or unsupported policies
are refused and leave the stored policy alone. The owner's root account is never restricted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from qcloud_cos import CosS3Client, CosServiceError

from tests.coslocal.conftest import (
    APPID,
    OTHER_PRINCIPAL,
    REGION,
    SUB_PRINCIPAL,
)

ANYONE = "qcs::cam::anyone:anyone"


def _error(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(CosServiceError) as exc:
        call()
    return exc.value.get_status_code(), exc.value.get_error_code()


def _resource(bucket: str, path: str = "*") -> str:
    return f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/{path}"


def _statement(
    bucket: str, effect: str, principal: str, actions: list[str], path: str = "*"
) -> dict[str, Any]:
    return {
        "Principal": {"qcs": [principal]},
        "Effect": effect,
        "Action": [f"name/cos:{a}" for a in actions],
        "Resource": [_resource(bucket, path)],
    }


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Statement": list(statements), "Version": "2.0"}


def _read(sdk: CosS3Client, bucket: str, key: str) -> bytes:
    return sdk.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read()


# --- GET / PUT / DELETE ?policy ---------------------------------------------------------------


def test_policy_round_trip(sdk: CosS3Client, bucket: str) -> None:
    assert _error(lambda: sdk.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchPolicy")
    # the Python SDK ut's own policy: capitalised keys, anyone may get and head
    policy = _policy(_statement(bucket, "allow", ANYONE, ["GetObject", "HeadObject"]))
    assert sdk.put_bucket_policy(Bucket=bucket, Policy=policy) is None
    assert json.loads(sdk.get_bucket_policy(Bucket=bucket)["Policy"]) == policy
    # the lower-case form of the docs (436/30580), given as a JSON string, replaces it
    lower = {
        "version": "2.0",
        "statement": [
            {
                "principal": {"qcs": [SUB_PRINCIPAL]},
                "effect": "deny",
                "action": ["name/cos:*"],
                "resource": [_resource(bucket, "secret/*")],
            }
        ],
    }
    sdk.put_bucket_policy(Bucket=bucket, Policy=json.dumps(lower))
    assert json.loads(sdk.get_bucket_policy(Bucket=bucket)["Policy"]) == lower
    sdk.delete_bucket_policy(Bucket=bucket)
    assert _error(lambda: sdk.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchPolicy")
    sdk.delete_bucket_policy(Bucket=bucket)  # deleting an absent policy is not an error


def test_policy_calls_on_a_missing_bucket(sdk: CosS3Client) -> None:
    missing = f"nosuch-{APPID}"
    policy = _policy(_statement(missing, "allow", ANYONE, ["GetObject"]))
    assert _error(lambda: sdk.put_bucket_policy(Bucket=missing, Policy=policy))[0] == 404
    assert _error(lambda: sdk.get_bucket_policy(Bucket=missing)) == (404, "NoSuchBucket")
    assert _error(lambda: sdk.delete_bucket_policy(Bucket=missing)) == (404, "NoSuchBucket")


def _bad_policies(bucket: str) -> dict[str, Any]:
    good = _statement(bucket, "allow", ANYONE, ["GetObject"])
    return {
        "not json": "{not json",
        "oversized": _policy(*[dict(good, Sid=f"s{i}") for i in range(200)]),
        "statement over 4095 bytes": _policy(
            dict(good, Resource=[_resource(bucket, f"p{i}/*") for i in range(120)])
        ),
        "condition": _policy(dict(good, Condition={"ip_equal": {"qcs:ip": ["10.0.0.1"]}})),
        "notaction": _policy(dict(good, NotAction=["name/cos:PutObject"])),
        "other principal kind": _policy(dict(good, Principal={"aws": ["*"]})),
        "bad principal": _policy(dict(good, Principal={"qcs": ["qcs::cam::uin/12:group/3"]})),
        "another bucket": _policy(dict(good, Resource=[_resource(f"other-{APPID}")])),
        "another appid": _policy(
            dict(good, Resource=[f"qcs::cos:{REGION}:uid/1250000001:{bucket}/*"])
        ),
        "bad effect": _policy(dict(good, Effect="maybe")),
        "bad action": _policy(dict(good, Action=["name/cam:ListUsers"])),
        "no action": _policy({k: v for k, v in good.items() if k != "Action"}),
        "no principal": _policy({k: v for k, v in good.items() if k != "Principal"}),
        "no statements": _policy(),
        "wrong version": dict(_policy(good), Version="1.0"),
    }


@pytest.mark.parametrize("case", list(_bad_policies("b")))
def test_bad_policies_refused_and_nothing_changed(sdk: CosS3Client, bucket: str, case: str) -> None:
    kept = _policy(_statement(bucket, "allow", ANYONE, ["GetObject"], "kept/*"))
    sdk.put_bucket_policy(Bucket=bucket, Policy=kept)
    bad = _bad_policies(bucket)[case]
    with pytest.raises(CosServiceError) as exc:
        sdk.put_bucket_policy(Bucket=bucket, Policy=bad)
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (400, "InvalidArgument")
    assert exc.value.get_error_msg().startswith("Invalid bucket policy: ")
    assert json.loads(sdk.get_bucket_policy(Bucket=bucket)["Policy"]) == kept


def test_policy_calls_need_the_owner(
    sdk: CosS3Client, anon_sdk: CosS3Client, sub_sdk: CosS3Client, bucket: str
) -> None:
    policy = _policy(_statement(bucket, "allow", ANYONE, ["GetObject"]))
    sdk.put_bucket_policy(Bucket=bucket, Policy=policy)
    for c in (anon_sdk, sub_sdk):
        assert _error(partial(c.get_bucket_policy, Bucket=bucket))[0] == 403
        assert _error(partial(c.put_bucket_policy, Bucket=bucket, Policy=policy))[0] == 403
        assert _error(partial(c.delete_bucket_policy, Bucket=bucket))[0] == 403
    # ... unless the policy itself lets a sub-account manage it
    admin = _statement(bucket, "allow", SUB_PRINCIPAL, ["GetBucketPolicy"], "")
    sdk.put_bucket_policy(Bucket=bucket, Policy=_policy(admin))
    assert json.loads(sub_sdk.get_bucket_policy(Bucket=bucket)["Policy"]) == _policy(admin)


# --- enforcement: anonymous callers -----------------------------------------------------------


def test_anonymous_read_allowed_by_policy_on_a_prefix(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="public/a.txt", Body=b"open")
    sdk.put_object(Bucket=bucket, Key="private/b.txt", Body=b"closed")
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="public/a.txt"))[0] == 403
    policy = _policy(_statement(bucket, "allow", ANYONE, ["GetObject"], "public/*"))
    sdk.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert _read(anon_sdk, bucket, "public/a.txt") == b"open"
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="private/b.txt")) == (
        403,
        "AccessDenied",
    )
    # GetObject is not HeadObject, listing, writing or reading the ACL
    assert _error(lambda: anon_sdk.head_object(Bucket=bucket, Key="public/a.txt"))[0] == 403
    assert _error(lambda: anon_sdk.list_objects(Bucket=bucket))[0] == 403
    assert _error(lambda: anon_sdk.put_object(Bucket=bucket, Key="public/n", Body=b"x"))[0] == 403
    assert _error(lambda: anon_sdk.get_object_acl(Bucket=bucket, Key="public/a.txt"))[0] == 403
    # a missing key under the allowed prefix is still 403 without list permission (no probing)
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="public/none"))[0] == 403
    sdk.delete_bucket_policy(Bucket=bucket)
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="public/a.txt"))[0] == 403


def test_wildcard_actions_and_list_permission(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="d/x", Body=b"x")
    policy = _policy(
        _statement(bucket, "allow", ANYONE, ["Get*", "HeadObject"], "d/*"),
        _statement(bucket, "allow", ANYONE, ["GetBucket"], ""),
    )
    sdk.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert anon_sdk.head_object(Bucket=bucket, Key="d/x")["Content-Length"] == "1"
    assert [c["Key"] for c in anon_sdk.list_objects(Bucket=bucket)["Contents"]] == ["d/x"]
    # with list permission, a missing key is an honest 404
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="d/none"))[0] == 404


def test_deny_statement_wins_over_bucket_acl_and_allow(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read")
    sdk.put_object(Bucket=bucket, Key="open.txt", Body=b"o")
    sdk.put_object(Bucket=bucket, Key="secret/s.txt", Body=b"s", ACL="public-read")
    policy = _policy(
        _statement(bucket, "allow", ANYONE, ["*"]),
        _statement(bucket, "deny", ANYONE, ["GetObject"], "secret/*"),
    )
    sdk.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert _read(anon_sdk, bucket, "open.txt") == b"o"
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="secret/s.txt")) == (
        403,
        "AccessDenied",
    )
    # the owner's root account is never locked out by its own bucket's policy
    assert _read(sdk, bucket, "secret/s.txt") == b"s"


# --- enforcement: sub-accounts and other root accounts -----------------------------------------


def test_sub_account_has_nothing_by_default(
    sdk: CosS3Client, sub_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="k", Body=b"k")
    for call in (
        lambda: sub_sdk.get_object(Bucket=bucket, Key="k"),
        lambda: sub_sdk.put_object(Bucket=bucket, Key="n", Body=b"n"),
        lambda: sub_sdk.list_objects(Bucket=bucket),
        lambda: sub_sdk.delete_object(Bucket=bucket, Key="k"),
        lambda: sub_sdk.get_bucket_acl(Bucket=bucket),
        lambda: sub_sdk.put_bucket_acl(Bucket=bucket, ACL="public-read"),
        lambda: sub_sdk.create_bucket(Bucket=f"subs-{APPID}"),
        lambda: sub_sdk.delete_bucket(Bucket=bucket),
    ):
        assert _error(call) == (403, "AccessDenied")
    assert _read(sdk, bucket, "k") == b"k"


def test_sub_account_allowed_and_denied_by_policy(
    sdk: CosS3Client, sub_sdk: CosS3Client, other_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="team/a", Body=b"a")
    sdk.put_object(Bucket=bucket, Key="team/locked/b", Body=b"b")
    policy = _policy(
        _statement(
            bucket, "allow", SUB_PRINCIPAL, ["GetObject", "PutObject", "DeleteObject"], "team/*"
        ),
        _statement(bucket, "deny", SUB_PRINCIPAL, ["*"], "team/locked/*"),
    )
    sdk.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert _read(sub_sdk, bucket, "team/a") == b"a"
    sub_sdk.put_object(Bucket=bucket, Key="team/new", Body=b"by sub")
    assert _read(sdk, bucket, "team/new") == b"by sub"
    assert _error(lambda: sub_sdk.get_object(Bucket=bucket, Key="team/locked/b"))[0] == 403
    assert (
        _error(lambda: sub_sdk.put_object(Bucket=bucket, Key="team/locked/c", Body=b""))[0] == 403
    )
    assert _error(lambda: sub_sdk.put_object(Bucket=bucket, Key="elsewhere", Body=b""))[0] == 403
    # the statements name the sub-account: another root account gets nothing from them
    assert _error(lambda: other_sdk.get_object(Bucket=bucket, Key="team/a"))[0] == 403
    # Delete Multiple judges each key: refused keys come back as AccessDenied entries
    result = sub_sdk.delete_objects(
        Bucket=bucket,
        Delete={"Object": [{"Key": "team/new"}, {"Key": "team/locked/b"}, {"Key": "x"}]},
    )
    assert [d["Key"] for d in result["Deleted"]] == ["team/new"]
    assert sorted((e["Key"], e["Code"]) for e in result["Error"]) == [
        ("team/locked/b", "AccessDenied"),
        ("x", "AccessDenied"),
    ]
    assert not sdk.object_exists(Bucket=bucket, Key="team/new")
    assert sdk.object_exists(Bucket=bucket, Key="team/locked/b")


def test_copy_needs_read_on_the_source(sdk: CosS3Client, sub_sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="src/ok", Body=b"ok")
    sdk.put_object(Bucket=bucket, Key="hidden", Body=b"h")
    policy = _policy(
        _statement(bucket, "allow", SUB_PRINCIPAL, ["GetObject"], "src/*"),
        _statement(bucket, "allow", SUB_PRINCIPAL, ["PutObject"], "dst/*"),
    )
    sdk.put_bucket_policy(Bucket=bucket, Policy=policy)

    def copy(src: str) -> object:
        return sub_sdk.copy_object(
            Bucket=bucket,
            Key="dst/" + src,
            CopySource={"Bucket": bucket, "Key": src, "Region": REGION},
        )

    copy("src/ok")
    assert _read(sdk, bucket, "dst/src/ok") == b"ok"
    assert _error(lambda: copy("hidden"))[0] == 403


def test_acl_grants_to_sub_account_and_other_root(
    sdk: CosS3Client,
    sub_sdk: CosS3Client,
    other_sdk: CosS3Client,
    anon_sdk: CosS3Client,
    bucket: str,
) -> None:
    sdk.put_object(Bucket=bucket, Key="for-sub", Body=b"s", GrantRead=f'id="{SUB_PRINCIPAL}"')
    sdk.put_object(Bucket=bucket, Key="for-other", Body=b"o", GrantRead='id="100000000002"')
    assert _read(sub_sdk, bucket, "for-sub") == b"s"
    assert _error(lambda: other_sdk.get_object(Bucket=bucket, Key="for-sub"))[0] == 403
    assert _read(other_sdk, bucket, "for-other") == b"o"
    assert _error(lambda: sub_sdk.get_object(Bucket=bucket, Key="for-other"))[0] == 403
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="for-sub"))[0] == 403
    grants = sdk.get_object_acl(Bucket=bucket, Key="for-other")["AccessControlList"]["Grant"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in grants] == [(OTHER_PRINCIPAL, "READ")]
    # a bucket grant of WRITE lets the sub-account upload anywhere in the bucket
    sdk.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{SUB_PRINCIPAL}"')
    sub_sdk.put_object(Bucket=bucket, Key="anywhere", Body=b"w")
    assert _error(lambda: other_sdk.put_object(Bucket=bucket, Key="o2", Body=b"w"))[0] == 403


def test_authenticated_read_is_for_signed_callers_only(
    sdk: CosS3Client,
    sub_sdk: CosS3Client,
    other_sdk: CosS3Client,
    anon_sdk: CosS3Client,
    bucket: str,
) -> None:
    sdk.put_object(Bucket=bucket, Key="a", Body=b"a", ACL="authenticated-read")
    assert _read(sub_sdk, bucket, "a") == b"a"
    assert _read(other_sdk, bucket, "a") == b"a"
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="a"))[0] == 403


def test_object_acl_default_private_public_read(
    sdk: CosS3Client, sub_sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read")
    sdk.put_object(Bucket=bucket, Key="inherits", Body=b"i")  # x-cos-acl defaults to "default"
    sdk.put_object(Bucket=bucket, Key="private", Body=b"p", ACL="private")
    assert sdk.get_object_acl(Bucket=bucket, Key="inherits")["CannedACL"] == "default"
    for client in (anon_sdk, sub_sdk):
        assert _read(client, bucket, "inherits") == b"i"
        assert _error(partial(client.get_object, Bucket=bucket, Key="private"))[0] == 403
    sdk.put_bucket_acl(Bucket=bucket, ACL="private")
    assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="inherits"))[0] == 403
    sdk.put_object_acl(Bucket=bucket, Key="private", ACL="public-read")
    assert _read(anon_sdk, bucket, "private") == b"p"


def test_service_listing_for_other_identities(
    coslocal_srv: Any, sdk: CosS3Client, bucket: str
) -> None:
    from tests.coslocal.conftest import OTHER_ID, OTHER_KEY, SUB_ID, SUB_KEY, sdk_client

    domain = f"{coslocal_srv.host}:{coslocal_srv.port}"
    sub = sdk_client(coslocal_srv, SecretId=SUB_ID, SecretKey=SUB_KEY, ServiceDomain=domain)
    other = sdk_client(coslocal_srv, SecretId=OTHER_ID, SecretKey=OTHER_KEY, ServiceDomain=domain)
    assert _error(lambda: sub.list_buckets()) == (403, "AccessDenied")
    assert other.list_buckets()["Buckets"] is None  # another account owns no bucket here


# --- ACL read-back (found by the Node SDK's own tests) -------------------------------------------


def _one_grant(grantee_id: str) -> dict[str, Any]:
    return {
        "Owner": {"ID": f"qcs::cam::uin/{APPID}:uin/{APPID}"},
        "AccessControlList": {
            "Grant": [
                {
                    "Grantee": {
                        "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        "@xsi:type": "CanonicalUser",
                        "ID": grantee_id,
                    },
                    "Permission": "READ",
                }
            ]
        },
    }


def test_acl_xml_with_one_grant_reads_back_exactly_one(sdk: CosS3Client, bucket: str) -> None:
    grantee = "qcs::cam::uin/10002:uin/10002"
    sdk.put_bucket_acl(Bucket=bucket, AccessControlPolicy=_one_grant(grantee))
    grants = sdk.get_bucket_acl(Bucket=bucket)["AccessControlList"]["Grant"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in grants] == [(grantee, "READ")]
    sdk.put_object(Bucket=bucket, Key="o", Body=b"o")
    sdk.put_object_acl(Bucket=bucket, Key="o", AccessControlPolicy=_one_grant(grantee))
    acl = sdk.get_object_acl(Bucket=bucket, Key="o")
    grants = acl["AccessControlList"]["Grant"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in grants] == [(grantee, "READ")]
    assert acl["CannedACL"] == "private"  # an explicit grant list no longer inherits the bucket
    # a canned ACL still reads back with the owner's FULL_CONTROL
    sdk.put_bucket_acl(Bucket=bucket, ACL="private")
    grants = sdk.get_bucket_acl(Bucket=bucket)["AccessControlList"]["Grant"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_resource_matching_rules() -> None:
    """`*` is the only wildcard; the bare bucket (or `<bucket>/*`) covers bucket-level actions;
    a resource naming `dir` does not cover the folder object `dir/`."""
    from coslocal import policy as engine

    b = f"b-{APPID}"
    doc = _policy(
        _statement(b, "allow", ANYONE, ["*"], "dir"),
        _statement(b, "allow", SUB_PRINCIPAL, ["GetObject"], "pub/?x*"),
        {
            **_statement(b, "allow", ANYONE, ["GetBucket"]),
            "Resource": [f"qcs::cos:{REGION}:uid/{APPID}:{b}"],
        },
    )
    _, statements = engine.parse(json.dumps(doc).encode(), region=REGION, appid=APPID, bucket=b)

    def verdict(principal: str | None, action: str, key: str) -> str | None:
        return engine.evaluate(statements, principal, (action,), f"{b}/{key}")

    assert verdict(None, "GetObject", "dir") == "allow"
    assert verdict(None, "GetObject", "dir/") is None
    assert verdict(None, "GetBucket", "") == "allow"
    assert verdict(SUB_PRINCIPAL, "GetObject", "pub/?xyz") == "allow"  # "?" is literal
    assert verdict(SUB_PRINCIPAL, "GetObject", "pub/axyz") is None
    assert verdict(OTHER_PRINCIPAL, "GetObject", "pub/?xyz") is None
