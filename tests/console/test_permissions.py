"""Permissions screens and changes through the real client against coslocal.

Viewers see ACLs and answers; only admins change them (enforced on the server); making anything
public needs a confirmation; every change is audited with the state before and after; bad input
is refused next to its field and changes nothing.
"""

from __future__ import annotations

import itertools
import json

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from objects_app.models import AuditEvent
from tests.conftest import APPID, REGION

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}
ANY = "qcs::cam::anyone:anyone"
_names = itertools.count()


@pytest.fixture
def admin(db) -> User:  # type: ignore[no-untyped-def]
    user = User.objects.create_user(username="ada", password="pw-ada")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


@pytest.fixture
def bucket(cos_client) -> str:  # type: ignore[no-untyped-def]
    name = f"perm{next(_names)}-{APPID}"
    if not cos_client.bucket_exists(name):
        cos_client.create_bucket(Bucket=name)
    cos_client.delete_bucket_policy(Bucket=name)
    cos_client.put_bucket_acl(Bucket=name, ACL="private")
    cos_client.put_object(Bucket=name, Key="a/k.txt", Body=b"k")
    return name


def url(name: str, bucket: str) -> str:
    return reverse(f"objects:{name}", args=[bucket])


def object_acl(cos_client, bucket: str, key: str = "a/k.txt") -> dict:  # type: ignore[no-untyped-def]
    acl = cos_client.get_object_acl(Bucket=bucket, Key=key)
    grants = [
        (g["Grantee"].get("URI") or g["Grantee"].get("ID"), g["Permission"])
        for g in acl["AccessControlList"].get("Grant", [])
    ]
    return {"canned": acl["CannedACL"], "grants": grants}


def policy_of(cos_client, bucket: str) -> dict | None:  # type: ignore[no-untyped-def]
    from objects_app.cos import CosServiceError

    try:
        return json.loads(cos_client.get_bucket_policy(Bucket=bucket)["Policy"])
    except CosServiceError as exc:
        assert exc.get_error_code() == "NoSuchPolicy"
        return None


def policy_text(bucket: str, *statements: tuple[str, str, list[str], str]) -> str:
    return json.dumps(
        {
            "version": "2.0",
            "statement": [
                {
                    "effect": effect,
                    "principal": {"qcs": [who]},
                    "action": actions,
                    "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/{path}"],
                }
                for effect, who, actions, path in statements
            ],
        }
    )


# --- reading ----------------------------------------------------------------------------------


def test_demo_logo_page_says_it_is_public(client, bob, demo_bucket):
    client.force_login(bob)
    detail = client.get(url("object-detail", demo_bucket), {"key": "public/logo.svg"})
    assert 'hx-trigger="load"' in detail.content.decode()  # the panel loads with the page
    panel = client.get(url("object-permissions", demo_bucket), {"key": "public/logo.svg"}, **HTMX)
    text = panel.content.decode()
    assert panel.status_code == 200 and "<html" not in text
    assert "Anyone on the internet can read this object, because its ACL grants" in text
    assert '<code translate="no">public-read</code>' in text
    assert "Only admins can change permissions." in text  # bob is a viewer
    assert 'id="canned-form"' not in text
    full = client.get(url("object-permissions", demo_bucket), {"key": "public/logo.svg"})
    assert (
        "<html" in full.content.decode()
        and "Anyone on the internet can read" in full.content.decode()
    )


def test_private_object_panel(client, bob, bucket):
    client.force_login(bob)
    text = client.get(
        url("object-permissions", bucket), {"key": "a/k.txt"}, **HTMX
    ).content.decode()
    assert "Not public." in text and "Only the account and the grants below can read it." in text
    assert "inherits the bucket ACL, which is" in text  # a new object's ACL is default


def test_bucket_page_shows_acl_and_policy_as_table_and_json(client, bob, bucket, cos_client):
    cos_client.put_bucket_policy(
        Bucket=bucket, Policy=policy_text(bucket, ("deny", ANY, ["name/cos:GetObject"], "secret/*"))
    )
    client.force_login(bob)
    response = client.get(url("bucket-permissions", bucket))
    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="policy-statements"' in text and "<strong>Deny</strong>" in text
    assert '<code class="key" translate="no">secret/*</code>' in text
    assert "&quot;effect&quot;: &quot;deny&quot;" in text  # the JSON, pretty-printed
    assert 'id="policy-form"' not in text and "Only admins can change permissions." in text


def test_who_can_read_partial_and_full_page(client, bob, bucket, cos_client):
    cos_client.put_bucket_policy(
        Bucket=bucket, Policy=policy_text(bucket, ("allow", ANY, ["name/cos:GetObject"], "a/*"))
    )
    client.force_login(bob)
    query = {"principal": "anyone", "target": "a/k.txt", "scope": "object"}
    partial = client.get(
        url("bucket-permissions", bucket), query, HTTP_HX_TARGET="who-result", **HTMX
    )
    text = partial.content.decode()
    assert "<html" not in text and "<strong>Yes.</strong>" in text
    assert "bucket policy statement 1 allows" in text
    full = client.get(
        url("bucket-permissions", bucket), {**query, "target": "a/"} | {"scope": "prefix"}
    )
    text = full.content.decode()
    assert "<html" in text and "can read every object under" in text
    account = {"principal": "account", "account": "100000000002", "target": "a/k.txt"}
    text = client.get(
        url("bucket-permissions", bucket), account, HTTP_HX_TARGET="who-result", **HTMX
    ).content.decode()
    assert "<strong>Yes.</strong> Account 100000000002 can read this object, because bucket" in text
    cos_client.put_object(Bucket=bucket, Key="z.txt", Body=b"z")
    text = client.get(
        url("bucket-permissions", bucket),
        {**account, "target": "z.txt"},
        HTTP_HX_TARGET="who-result",
        **HTMX,
    ).content.decode()
    assert (
        "<strong>No.</strong> Account 100000000002 cannot read this object, because no ACL" in text
    )


def test_who_can_read_needs_a_valid_account(client, bob, bucket):
    client.force_login(bob)
    response = client.get(
        url("bucket-permissions", bucket),
        {"principal": "account", "account": "bob", "target": "a/k.txt"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert "account uin" in response.json()["fields"]["account"][0]


# --- object ACL changes -----------------------------------------------------------------------


def test_viewers_and_operators_cannot_change_acls(client, bob, alice, bucket, cos_client):
    before = object_acl(cos_client, bucket)
    for user in (bob, alice):
        client.force_login(user)
        response = client.post(
            url("object-acl-update", bucket),
            {"key": "a/k.txt", "op": "canned", "canned": "public-read", "confirmed": "on"},
            **HTMX,
        )
        assert response.status_code == 403
        response = client.post(
            url("bucket-policy-update", bucket),
            {"policy": policy_text(bucket, ("allow", ANY, ["*"], "*")), "confirmed": "on"},
            **HTMX,
        )
        assert response.status_code == 403
    assert object_acl(cos_client, bucket) == before
    assert policy_of(cos_client, bucket) is None
    assert not AuditEvent.objects.filter(action__in=["object.acl", "bucket.policy"]).exists()


def test_making_an_object_public_asks_first_then_audits(client, admin, bucket, cos_client):
    client.force_login(admin)
    form = {"key": "a/k.txt", "op": "canned", "canned": "public-read"}
    first = client.post(url("object-acl-update", bucket), form, **HTMX)
    text = first.content.decode()
    assert first.status_code == 200 and "Make this public?" in text
    assert "Anyone on the internet can read this object, because its ACL grants" in text
    assert 'name="canned" value="public-read"' in text and 'name="confirmed" value="on"' in text
    assert object_acl(cos_client, bucket)["canned"] == "default"  # nothing changed yet
    second = client.post(url("object-acl-update", bucket), {**form, "confirmed": "on"}, **HTMX)
    assert second.status_code == 200 and "HX-Redirect" in second
    assert object_acl(cos_client, bucket)["canned"] == "public-read"
    [event] = AuditEvent.objects.filter(action="object.acl")
    assert (event.username, event.key, event.outcome) == ("ada", "a/k.txt", "ok")
    assert (
        event.detail == "before: canned=default; grants=[] | after: canned=public-read; grants=[]"
    )


def test_grants_are_added_and_removed_keeping_the_canned_acl(client, admin, bucket, cos_client):
    client.force_login(admin)
    sub = "qcs::cam::uin/1250000000:uin/100000000011"
    add = {
        "key": "a/k.txt",
        "op": "add",
        "grantee_kind": "account",
        "grantee": "1250000000:100000000011",
        "permission": "READ",
    }
    response = client.post(url("object-acl-update", bucket), add, **HTMX)
    assert "HX-Redirect" in response  # a grant to one account needs no confirmation
    acl = object_acl(cos_client, bucket)
    assert acl["canned"] == "default" and (sub, "READ") in acl["grants"]
    remove = {"key": "a/k.txt", "op": "remove", "grant": f"READ|{sub}"}
    assert "HX-Redirect" in client.post(url("object-acl-update", bucket), remove, **HTMX)
    acl = object_acl(cos_client, bucket)
    assert acl["canned"] == "default" and (sub, "READ") not in acl["grants"]
    stale = client.post(url("object-acl-update", bucket), remove, HTTP_ACCEPT="application/json")
    assert stale.status_code == 409 and "not in the ACL any more" in stale.json()["error"]
    details = [e.detail for e in AuditEvent.objects.filter(action="object.acl").order_by("id")]
    assert details == [
        f"before: canned=default; grants=[] | after: canned=default; grants=[READ {sub}]",
        f"before: canned=default; grants=[READ {sub}] | after: canned=default; grants=[]",
    ]


def test_a_grant_to_everyone_needs_confirmation(client, admin, bucket, cos_client):
    client.force_login(admin)
    add = {"key": "a/k.txt", "op": "add", "grantee_kind": "everyone", "permission": "READ_ACP"}
    text = client.post(url("object-acl-update", bucket), add, **HTMX).content.decode()
    assert (
        "Make this public?" in text
        and "everyone (anonymous included) will be able to read the ACL" in text
    )
    assert object_acl(cos_client, bucket)["grants"] == [
        ("qcs::cam::uin/1250000000:uin/1250000000", "FULL_CONTROL")
    ]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"op": "add", "grantee_kind": "account", "grantee": "alice", "permission": "READ"},
            "grantee",
            "Enter an account uin",
        ),
        (
            {"op": "add", "grantee_kind": "account", "grantee": "0", "permission": "READ"},
            "grantee",
            "Enter an account uin",
        ),
        (
            {
                "op": "add",
                "grantee_kind": "account",
                "grantee": "100000000002",
                "permission": "WRITE",
            },
            "permission",
            "choose one of READ, READ_ACP, WRITE_ACP, FULL_CONTROL.",
        ),
        (
            {
                "op": "add",
                "grantee_kind": "account",
                "grantee": "100000000002",
                "permission": "ALL",
            },
            "permission",
            "Unknown permission",
        ),
        ({"op": "canned", "canned": "public-read-write"}, "canned", "Unknown canned ACL"),
        ({"op": "remove", "grant": "nonsense"}, "grant", "This does not name a grant."),
    ],
)
def test_bad_acl_input_is_refused_next_to_the_field(
    client, admin, bucket, cos_client, form, field, message
):
    client.force_login(admin)
    before = object_acl(cos_client, bucket)
    response = client.post(url("object-acl-update", bucket), {"key": "a/k.txt", **form}, **HTMX)
    assert response.status_code == 422
    events = json.loads(response["HX-Trigger"])["console:field-errors"]["fields"]
    assert message in events[field][0]
    assert object_acl(cos_client, bucket) == before
    assert not AuditEvent.objects.filter(action="object.acl").exists()


# --- bucket ACL and policy --------------------------------------------------------------------


def test_bucket_public_read_asks_first(client, admin, bucket, cos_client):
    client.force_login(admin)
    form = {"op": "canned", "canned": "public-read"}
    text = client.post(url("bucket-acl-update", bucket), form, **HTMX).content.decode()
    assert "Make this public?" in text
    assert 'every object whose ACL is <code translate="no">default</code> inherits it' in text
    assert cos_client.get_bucket_acl(Bucket=bucket)["CannedACL"] == "private"
    client.post(url("bucket-acl-update", bucket), {**form, "confirmed": "on"}, **HTMX)
    assert cos_client.get_bucket_acl(Bucket=bucket)["CannedACL"] == "public-read"
    [event] = AuditEvent.objects.filter(action="bucket.acl")
    assert (
        event.detail == "before: canned=private; grants=[] | after: canned=public-read; grants=[]"
    )
    # and the object that inherits it is now public, for the reason the bucket ACL gives
    text = client.get(
        url("object-permissions", bucket), {"key": "a/k.txt"}, **HTMX
    ).content.decode()
    assert (
        'because the bucket ACL is <code translate="no">public-read</code> and this object '
        "inherits it" in text
    )


def test_public_policy_asks_first_then_saves_and_audits(client, admin, bucket, cos_client):
    client.force_login(admin)
    text = policy_text(bucket, ("allow", ANY, ["name/cos:GetObject"], "a/*"))
    first = client.post(url("bucket-policy-update", bucket), {"policy": text}, **HTMX)
    body = first.content.decode()
    assert "Make this public?" in body and "bucket policy statement 1 allows" in body
    assert policy_of(cos_client, bucket) is None
    client.post(url("bucket-policy-update", bucket), {"policy": text, "confirmed": "on"}, **HTMX)
    assert policy_of(cos_client, bucket) == json.loads(text)
    [event] = AuditEvent.objects.filter(action="bucket.policy")
    assert event.detail.startswith("before: none | after: {")
    # a Deny on a prefix makes nothing public: no question asked
    deny = policy_text(bucket, ("deny", ANY, ["name/cos:GetObject"], "a/secret/*"))
    response = client.post(url("bucket-policy-update", bucket), {"policy": deny}, **HTMX)
    assert "HX-Redirect" in response and policy_of(cos_client, bucket) == json.loads(deny)
    response = client.post(url("bucket-policy-delete", bucket), {}, **HTMX)
    assert "Delete the bucket policy?" in response.content.decode()
    client.post(url("bucket-policy-delete", bucket), {"confirmed": "on"}, **HTMX)
    assert policy_of(cos_client, bucket) is None
    assert AuditEvent.objects.filter(action="bucket.policy.delete", outcome="ok").count() == 1


def _big_policy(bucket: str) -> str:
    statement = json.loads(policy_text(bucket, ("allow", ANY, ["name/cos:GetObject"], "x/*")))
    statement = statement["statement"][0]
    many = [{**statement, "sid": f"s{n}-" + "x" * 300} for n in range(60)]
    return json.dumps({"version": "2.0", "statement": many})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda b: '{"version": "2.0", "statement": [', "This is not valid JSON (line 1, column"),
        (_big_policy, "bytes; at most 20,480 bytes are accepted."),
        (lambda b: "[]", "must be a JSON object"),
        (
            lambda b: policy_text(b, ("allow", "bob", ["name/cos:GetObject"], "*")),
            "Statement 1: unknown principal bob",
        ),
        (
            lambda b: policy_text(b, ("allow", ANY, ["GetObject"], "*")),
            "Statement 1: unknown action GetObject",
        ),
        (
            lambda b: policy_text(b, ("maybe", ANY, ["name/cos:GetObject"], "*")),
            "Statement 1: effect must be Allow or Deny.",
        ),
        (
            lambda b: policy_text(b, ("allow", ANY, ["*"], "*")).replace(b, "other-1250000000"),
            "is not in this bucket",
        ),
        (
            lambda b: json.dumps({"statement": [{"effect": "allow", "action": ["*"]}]}),
            "Statement 1: it has no principal.",
        ),
        (
            lambda b: policy_text(b, ("deny", ANY, ["name/cos:*"], "*")),
            "the console (qcs::cam::uin/1250000000:uin/1250000000) could no longer undo",
        ),
        (
            lambda b: policy_text(
                b,
                (
                    "deny",
                    "qcs::cam::uin/1250000000:uin/1250000000",
                    ["name/cos:PutBucketPolicy"],
                    "*",
                ),
            ),
            "Statement 1 denies cos:PutBucketPolicy",
        ),
    ],
)
def test_bad_policies_are_refused_next_to_the_field(
    client, admin, bucket, cos_client, make, message
):
    original = policy_text(bucket, ("deny", ANY, ["name/cos:GetObject"], "keep/*"))
    cos_client.put_bucket_policy(Bucket=bucket, Policy=original)
    client.force_login(admin)
    response = client.post(
        url("bucket-policy-update", bucket), {"policy": make(bucket), "confirmed": "on"}, **HTMX
    )
    assert response.status_code == 422
    reasons = json.loads(response["HX-Trigger"])["console:field-errors"]["fields"]["policy"]
    assert any(message in reason for reason in reasons), reasons
    assert policy_of(cos_client, bucket) == json.loads(original)
    assert not AuditEvent.objects.filter(action="bucket.policy").exists()


def test_a_policy_cos_refuses_is_shown_next_to_the_field(client, admin, bucket, cos_client):
    """coslocal refuses conditions (it never stores a rule it would not enforce): the console
    passes COS's reason to the field and records the failed attempt."""
    doc = json.loads(policy_text(bucket, ("allow", ANY, ["name/cos:GetObject"], "a/*")))
    doc["statement"][0]["condition"] = {"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}}
    client.force_login(admin)
    response = client.post(
        url("bucket-policy-update", bucket), {"policy": json.dumps(doc), "confirmed": "on"}, **HTMX
    )
    assert response.status_code == 422
    [reason] = json.loads(response["HX-Trigger"])["console:field-errors"]["fields"]["policy"]
    assert (
        reason.startswith("COS refused the policy: Invalid bucket policy:")
        and "condition" in reason
    )
    assert policy_of(cos_client, bucket) is None
    [event] = AuditEvent.objects.filter(action="bucket.policy")
    assert event.outcome == "error"
