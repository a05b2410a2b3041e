"""The access evaluator (objects_app.access): pure code, one test per rule and per source.

Agreement with what coslocal enforces is tested separately, against real anonymous and
sub-account requests (test_access_agreement.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from objects_app.access import decide as d
from objects_app.access import words
from objects_app.access.acl import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    Acl,
    Grant,
    acl_from_sdk,
    acl_headers,
)
from objects_app.access.globs import covers_all_under, matches_some_under
from objects_app.access.policy import policy_from_document
from objects_app.access.prefix import can_read_prefix
from objects_app.access.principals import (
    ANYONE,
    AUTHENTICATED,
    PrincipalError,
    account,
    parse_account,
)

BUCKET = "pics-1250000000"
OWNER = "qcs::cam::uin/1250000000:uin/1250000000"
SUB = account("1250000000", "100000000011")
OTHER = account("100000000002")
PRIVATE = Acl(OWNER, "private")
DEFAULT = Acl(OWNER, "default")


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", str(html)).replace("&#x27;", "'")


def _policy(*statements: dict[str, Any]) -> Any:
    return policy_from_document(json.dumps({"version": "2.0", "statement": list(statements)}))


def _st(effect: str, principal: str, actions: list[str], path: str, **extra: Any) -> dict[str, Any]:
    return {
        "effect": effect,
        "principal": {"qcs": [principal]},
        "action": actions,
        "resource": [f"qcs::cos:ap-guangzhou:uid/1250000000:{BUCKET}/{path}"],
        **extra,
    }


ANYONE_P = "qcs::cam::anyone:anyone"


def _read(who: Any, key: str, acl: Acl | None, bucket_acl: Acl = PRIVATE, policy: Any = None):
    kwargs = {"policy": policy} if policy is not None else {}
    return d.can_read(who, bucket=BUCKET, key=key, acl=acl, bucket_acl=bucket_acl, **kwargs)


# --- the three sources, each with its sentence -------------------------------------------------


def test_object_acl_public_read_says_so() -> None:
    answer = _read(ANYONE, "logo.svg", Acl(OWNER, "public-read"))
    assert answer.allowed is True and answer.reason == d.OBJECT_ACL
    assert answer.rule.canned == "public-read"
    assert _text(words.decision_sentence(answer, OWNER)) == (
        "Anyone on the internet can read this object, because its ACL grants public-read."
    )


def test_bucket_acl_is_inherited_only_by_default_objects() -> None:
    public_bucket = Acl(OWNER, "public-read")
    inherited = _read(ANYONE, "a.txt", DEFAULT, public_bucket)
    assert inherited.allowed is True and inherited.reason == d.BUCKET_ACL
    assert _text(words.decision_sentence(inherited, OWNER)) == (
        "Anyone on the internet can read this object, because the bucket ACL is public-read "
        "and this object inherits it."
    )
    private_object = _read(ANYONE, "a.txt", PRIVATE, public_bucket)
    assert private_object.allowed is False and private_object.reason == d.NOTHING
    assert _text(words.decision_sentence(private_object, OWNER)) == (
        "Only the account and the grants below can read it."
    )


def test_policy_allow_on_a_prefix_names_the_statement() -> None:
    policy = _policy(
        _st("allow", SUB.qcs, ["name/cos:GetObject"], "reports/*"),
        _st("allow", ANYONE_P, ["name/cos:GetObject"], "public/*"),
    )
    answer = _read(ANYONE, "public/a/b.png", DEFAULT, policy=policy)
    assert answer.allowed is True and answer.reason == d.POLICY_ALLOW
    assert answer.rule.match is not None and answer.rule.match.statement.number == 2
    assert _text(words.decision_sentence(answer, OWNER)) == (
        "Anyone on the internet can read this object, because bucket policy statement 2 "
        "allows cos:GetObject on public/*."
    )
    assert _read(ANYONE, "private/b.png", DEFAULT, policy=policy).allowed is False
    assert _read(ANYONE, "publicity.png", DEFAULT, policy=policy).allowed is False


def test_deny_wins_over_every_allow() -> None:
    policy = _policy(
        _st("allow", ANYONE_P, ["name/cos:*"], "*"),
        _st("deny", ANYONE_P, ["name/cos:Get*"], "secret/*"),
    )
    answer = _read(ANYONE, "secret/k", Acl(OWNER, "public-read"), Acl(OWNER, "public-read"), policy)
    assert answer.allowed is False and answer.reason == d.POLICY_DENY
    assert answer.also == ()
    assert _text(words.decision_sentence(answer, OWNER)) == (
        "Anyone on the internet cannot read this object, because bucket policy statement 2 "
        "denies cos:Get* on secret/*."
    )
    # the deny is for everyone, so also for a named account
    assert _read(OTHER, "secret/k", Acl(OWNER, "public-read"), policy=policy).allowed is False


def test_every_allowing_source_is_kept_in_also() -> None:
    policy = _policy(_st("allow", ANYONE_P, ["*"], "*"))
    answer = _read(ANYONE, "k", Acl(OWNER, "default"), Acl(OWNER, "public-read"), policy)
    assert [answer.reason, *[r.kind for r in answer.also]] == [d.BUCKET_ACL, d.POLICY_ALLOW]
    answer = _read(ANYONE, "k", Acl(OWNER, "public-read"), Acl(OWNER, "private"), policy)
    assert [answer.reason, *[r.kind for r in answer.also]] == [d.OBJECT_ACL, d.POLICY_ALLOW]


def test_actions_wildcards_and_other_actions() -> None:
    for action in ("name/cos:GetObject", "name/cos:Get*", "name/cos:*", "*"):
        policy = _policy(_st("allow", ANYONE_P, [action], "*"))
        assert _read(ANYONE, "k", PRIVATE, policy=policy).allowed is True, action
    for action in ("name/cos:HeadObject", "name/cos:PutObject", "name/cos:GetObjectACL"):
        policy = _policy(_st("allow", ANYONE_P, [action], "*"))
        assert _read(ANYONE, "k", PRIVATE, policy=policy).allowed is False, action


def test_bucket_only_resource_does_not_cover_objects() -> None:
    doc = {
        "statement": [
            {
                "effect": "allow",
                "principal": {"qcs": [ANYONE_P]},
                "action": ["*"],
                "resource": [f"qcs::cos:ap-guangzhou:uid/1250000000:{BUCKET}"],
            }
        ]
    }
    policy = policy_from_document(json.dumps(doc))
    assert _read(ANYONE, "k", PRIVATE, policy=policy).allowed is False
    other_bucket = _policy(
        {**_st("allow", ANYONE_P, ["*"], "*"), "resource": ["qcs::cos::uid/1:other-1/*"]}
    )
    assert _read(ANYONE, "k", PRIVATE, policy=other_bucket).allowed is False


def test_grants_to_accounts_and_sub_accounts_are_exact() -> None:
    acl = Acl(OWNER, "private", (Grant(SUB.qcs, "READ"), Grant(OTHER.qcs, "FULL_CONTROL")))
    assert _read(SUB, "k", acl).allowed is True
    assert _read(OTHER, "k", acl).allowed is True
    assert _read(ANYONE, "k", acl).allowed is False
    assert _read(account("1250000000", "100000000099"), "k", acl).allowed is False
    answer = _read(SUB, "k", acl)
    assert _text(words.decision_sentence(answer, OWNER)) == (
        "Sub-account 100000000011 of account 1250000000 can read this object, because its ACL "
        "grants READ to sub-account 100000000011 of account 1250000000."
    )
    # READ_ACP is not read access
    assert (
        _read(OTHER, "k", Acl(OWNER, "private", (Grant(OTHER.qcs, "READ_ACP"),))).allowed is False
    )


def test_policy_principals_match_exactly() -> None:
    policy = _policy(_st("allow", SUB.qcs, ["name/cos:GetObject"], "docs/*"))
    assert _read(SUB, "docs/a", PRIVATE, policy=policy).allowed is True
    assert _read(OTHER, "docs/a", PRIVATE, policy=policy).allowed is False
    assert _read(ANYONE, "docs/a", PRIVATE, policy=policy).allowed is False


def test_authenticated_read_is_public_to_signed_in_users_only() -> None:
    acl = Acl(OWNER, "authenticated-read")
    assert _read(ANYONE, "k", acl).allowed is False
    assert _read(AUTHENTICATED, "k", acl).allowed is True
    assert _read(OTHER, "k", acl).allowed is True
    found = d.exposure(bucket=BUCKET, key="k", acl=acl, bucket_acl=PRIVATE)
    assert found.public is True and found.decision.who == AUTHENTICATED
    assert _text(words.decision_sentence(found.decision, OWNER)) == (
        "Any signed-in Tencent Cloud user can read this object, because its ACL grants "
        "authenticated-read."
    )


def test_owner_root_always_reads() -> None:
    policy = _policy(_st("deny", ANYONE_P, ["*"], "*"))
    answer = _read(account("1250000000"), "k", PRIVATE, policy=policy)
    assert answer.allowed is True and answer.reason == d.OWNER


def test_unreadable_acl_is_unknown_unless_the_policy_decides() -> None:
    found = d.exposure(
        bucket=BUCKET, key="k", acl=None, bucket_acl=PRIVATE, error="403 AccessDenied"
    )
    assert found.public is None and found.reason == d.ACL_UNREADABLE
    assert _text(words.decision_sentence(found.decision, OWNER)) == (
        "Unknown whether anyone on the internet can read this object: the object's ACL could "
        "not be read (403 AccessDenied)."
    )
    allow = _policy(_st("allow", ANYONE_P, ["name/cos:GetObject"], "*"))
    assert d.exposure(bucket=BUCKET, key="k", acl=None, bucket_acl=PRIVATE, policy=allow).public
    deny = _policy(_st("deny", ANYONE_P, ["name/cos:GetObject"], "*"))
    answer = _read(ANYONE, "k", None, policy=deny)
    assert answer.allowed is False and answer.reason == d.POLICY_DENY


def test_conditions_make_the_answer_unknown_not_wrong() -> None:
    cond = {"condition": {"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}}}
    maybe_allow = _policy(_st("allow", ANYONE_P, ["name/cos:GetObject"], "*", **cond))
    answer = _read(ANYONE, "k", PRIVATE, policy=maybe_allow)
    assert answer.allowed is None and answer.reason == d.POLICY_MAYBE
    maybe_deny = _policy(_st("deny", ANYONE_P, ["name/cos:GetObject"], "*", **cond))
    answer = _read(ANYONE, "k", Acl(OWNER, "public-read"), policy=maybe_deny)
    assert answer.allowed is None and answer.reason == d.POLICY_MAYBE
    assert "conditions the console does not evaluate" in _text(words.decision_sentence(answer))


# --- prefixes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "prefix", "all_", "some"),
    [
        ("*", "", True, True),
        ("public/*", "public/", True, True),
        ("public/*", "public/a/", True, True),
        ("public/*", "pub", False, True),
        ("public/*", "private/", False, False),
        ("a*b*", "axb", True, True),
        ("a*b", "axb", False, True),
        ("logs/*.log", "logs/", False, True),
        ("exact.txt", "exact.txt", False, True),
        ("exact.txt", "exact.txt2", False, False),
        ("", "", False, True),
    ],
)
def test_glob_coverage_of_a_prefix(pattern: str, prefix: str, all_: bool, some: bool) -> None:
    assert covers_all_under(pattern, prefix) is all_
    assert matches_some_under(pattern, prefix) is some


def test_prefix_answers() -> None:
    policy = _policy(
        _st("allow", ANYONE_P, ["name/cos:GetObject"], "public/*"),
        _st("deny", ANYONE_P, ["name/cos:GetObject"], "public/secret/*"),
    )
    whole = can_read_prefix(
        ANYONE, bucket=BUCKET, prefix="public/img/", bucket_acl=PRIVATE, policy=policy
    )
    assert whole.allowed is True and whole.rule is not None and whole.rule.kind == d.POLICY_ALLOW
    denied = can_read_prefix(
        ANYONE, bucket=BUCKET, prefix="public/secret/", bucket_acl=PRIVATE, policy=policy
    )
    assert denied.allowed is False
    mixed = can_read_prefix(
        ANYONE, bucket=BUCKET, prefix="public/", bucket_acl=PRIVATE, policy=policy
    )
    assert mixed.allowed is None
    assert sorted(m.statement.number for m in mixed.partial) == [1, 2]
    points = [_text(p) for p in words.prefix_points(mixed, OWNER)]
    assert (
        "for some of these keys, bucket policy statement 2 denies cos:GetObject on public/secret/*"
        in points
    )
    inherits = can_read_prefix(
        ANYONE, bucket=BUCKET, prefix="x/", bucket_acl=Acl(OWNER, "public-read")
    )
    assert inherits.allowed is None and inherits.bucket_acl is not None
    assert _text(words.prefix_points(inherits, OWNER)[0]) == (
        "objects whose ACL is default can be read, because the bucket ACL is public-read and "
        "this object inherits it"
    )


# --- reading and writing ACLs ------------------------------------------------------------------


def _sdk_acl(grants: list[tuple[dict[str, str], str]], canned: str = "private") -> dict[str, Any]:
    return {
        "Owner": {"ID": OWNER, "DisplayName": OWNER},
        "AccessControlList": {"Grant": [{"Grantee": g, "Permission": p} for g, p in grants]},
        "CannedACL": canned,
    }


def test_acl_from_the_clients_answer() -> None:
    owner_fc = ({"Type": "CanonicalUser", "ID": OWNER}, "FULL_CONTROL")
    all_read = ({"Type": "Group", "URI": ALL_USERS}, "READ")
    bare = ({"Type": "CanonicalUser", "ID": "100000000002"}, "READ")
    acl = acl_from_sdk(_sdk_acl([owner_fc, all_read, bare]), bucket=False)
    assert acl.canned == "public-read"
    assert acl.grants == (Grant(OTHER.qcs, "READ"),)
    default = acl_from_sdk(_sdk_acl([owner_fc], "default"), bucket=False)
    assert default.canned == "default" and default.grants == () and default.inherits
    # an exact grant list (no owner grant) with one grant
    exact = acl_from_sdk(
        _sdk_acl([({"Type": "Group", "URI": AUTHENTICATED_USERS}, "READ")]), bucket=False
    )
    assert exact.canned == "authenticated-read" and exact.grants == ()
    bucket = acl_from_sdk(
        _sdk_acl([owner_fc, all_read, ({"Type": "Group", "URI": ALL_USERS}, "WRITE")]), bucket=True
    )
    assert bucket.canned == "public-read-write" and bucket.grants == ()


def test_acl_headers_keep_canned_and_grants() -> None:
    acl = Acl(
        OWNER,
        "default",
        (Grant(SUB.qcs, "READ"), Grant(ALL_USERS, "READ_ACP"), Grant(OTHER.qcs, "READ")),
    )
    assert acl_headers(acl) == {
        "ACL": "default",
        "GrantRead": f'id="{SUB.qcs}",id="{OTHER.qcs}"',
        "GrantReadACP": f'uri="{ALL_USERS}"',
    }
    private = acl.made_private()
    assert private.canned == "private"
    assert private.grants == (Grant(SUB.qcs, "READ"), Grant(OTHER.qcs, "READ"))


@pytest.mark.parametrize(
    ("text", "root", "uin"),
    [
        ("100000000002", "100000000002", "100000000002"),
        (" 1250000000:100000000011 ", "1250000000", "100000000011"),
        ("qcs::cam::uin/1250000000:uin/100000000011", "1250000000", "100000000011"),
        ("qcs::cam::uin/100000000002", "100000000002", "100000000002"),
    ],
)
def test_account_forms(text: str, root: str, uin: str) -> None:
    who = parse_account(text)
    assert (who.root, who.uin) == (root, uin)


@pytest.mark.parametrize("text", ["", "abc", "0123", "12:ab", "qcs::cam::anyone:anyone", "1" * 21])
def test_bad_account_forms(text: str) -> None:
    with pytest.raises(PrincipalError):
        parse_account(text)
