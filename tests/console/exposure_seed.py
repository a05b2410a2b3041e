"""A bucket whose public set is known, for the public-exposure scan and audit tests.

Public by each source: object ACLs, the bucket ACL (objects left at `default`), a bucket policy
prefix; private objects beside each; one object whose ACL cannot be read (COS answers 403,
injected with coslocal's fault rules) and which nothing else makes public.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import APPID, REGION

ANY = "qcs::cam::anyone:anyone"
UNREADABLE = "vault/unreadable.txt"
# key -> (status, reason, detail)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "acl/public.txt": ("public", "object-acl", "public-read"),
    "acl/grant-anyone.txt": ("public", "object-acl", f"READ {ANY}"),
    "acl/signed-in.txt": ("public", "object-acl", "authenticated-read"),
    "acl/private.txt": ("private", "nothing", ""),
    "inherit/a.txt": ("public", "bucket-acl", "public-read"),
    "inherit/b.txt": ("public", "bucket-acl", "public-read"),
    "policy/p1.txt": ("public", "policy-allow", "statement 1: cos:GetObject on policy/*"),
    "policy/deep/p2.txt": ("public", "policy-allow", "statement 1: cos:GetObject on policy/*"),
    "vault/private.txt": ("private", "nothing", ""),
    "vault/denied.txt": ("private", "policy-deny", "statement 2: cos:* on vault/denied*"),
    UNREADABLE: ("unknown", "acl-unreadable", "403 AccessDenied"),
}


def seed_exposure_bucket(client: Any, bucket: str) -> None:
    """Owner-side setup through our client (or the SDK: both take these keyword names)."""
    client.create_bucket(Bucket=bucket)
    client.put_bucket_acl(Bucket=bucket, ACL="public-read")
    private = {"ACL": "private"}
    puts: dict[str, dict[str, str]] = {
        "acl/public.txt": {"ACL": "public-read"},
        "acl/grant-anyone.txt": {"ACL": "private", "GrantRead": f'id="{ANY}"'},
        "acl/signed-in.txt": {"ACL": "authenticated-read"},
        "acl/private.txt": private,
        "inherit/a.txt": {},
        "inherit/b.txt": {"ACL": "default"},
        "policy/p1.txt": private,
        "policy/deep/p2.txt": private,
        "vault/private.txt": private,
        "vault/denied.txt": {},  # inherits public-read, but the policy denies anyone
        UNREADABLE: private,
    }
    for key, acl in puts.items():
        client.put_object(Bucket=bucket, Key=key, Body=key.encode(), **acl)
    resource = f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/"
    client.put_bucket_policy(
        Bucket=bucket,
        Policy={
            "version": "2.0",
            "statement": [
                {
                    "effect": "allow",
                    "principal": {"qcs": [ANY]},
                    "action": ["name/cos:GetObject"],
                    "resource": [resource + "policy/*"],
                },
                {
                    "effect": "deny",
                    "principal": {"qcs": [ANY]},
                    "action": ["name/cos:*"],
                    "resource": [resource + "vault/denied*"],
                },
            ],
        },
    )


def unreadable_fault(bucket: str) -> dict[str, Any]:
    """coslocal answers 403 to every ACL read of UNREADABLE (the console's credentials)."""
    return {
        "mode": "error",
        "status": 403,
        "code": "AccessDenied",
        "count": 100000,
        "path_prefix": "/" + UNREADABLE,
        "query_contains": "acl",
    }
