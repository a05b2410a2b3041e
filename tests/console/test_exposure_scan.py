"""The scan core of the public-exposure audit against coslocal: a seeded bucket whose public set
is known, checked key by key; throttling slows the scan down and it still finishes."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

from objects_app.exposure import scanner
from objects_app.selectors.permissions import bucket_acl, bucket_policy
from objects_app.storage import get_cos_client
from tests.conftest import APPID
from tests.console.exposure_seed import (
    EXPECTED,
    UNREADABLE,
    seed_exposure_bucket,
    unreadable_fault,
)

_names = itertools.count()


def _scan(
    bucket: str,
    *,
    prefix: str = "",
    versions: bool = False,
    rate: float = 1000,
) -> tuple[list[scanner.Finding], scanner.AclReader]:
    client = get_cos_client()
    reader = scanner.AclReader(client, bucket, threads=4, limiter=scanner.RateLimiter(rate))
    b_acl, policy = bucket_acl(bucket), bucket_policy(bucket)
    findings: list[scanner.Finding] = []
    marker: scanner.Marker | None = ("", "")
    with ThreadPoolExecutor(4) as pool:
        while marker is not None:
            entries, marker = scanner.list_page(client, bucket, prefix, marker, versions)
            started = scanner.submit_entries(entries, reader, pool, bucket_acl=b_acl, policy=policy)
            findings += [future.result() for future in started]
    return findings, reader


@pytest.fixture
def seeded(acl_console):  # type: ignore[no-untyped-def]
    bucket = f"expo{next(_names)}-{APPID}"
    seed_exposure_bucket(get_cos_client(), bucket)
    acl_console.set_faults(**unreadable_fault(bucket))
    yield bucket
    acl_console.clear_faults()


def test_every_key_is_judged_as_known(seeded):  # type: ignore[no-untyped-def]
    findings, _ = _scan(seeded)
    got = {f.entry.key: (f.status, f.reason, f.detail) for f in findings}
    assert got == EXPECTED


def test_a_prefix_scans_only_its_keys(seeded):  # type: ignore[no-untyped-def]
    findings, _ = _scan(seeded, prefix="policy/")
    assert {f.entry.key for f in findings} == {"policy/p1.txt", "policy/deep/p2.txt"}
    assert {f.status for f in findings} == {"public"}


def test_all_versions_are_scanned_each_with_its_own_acl(acl_console):  # type: ignore[no-untyped-def]
    client = get_cos_client()
    bucket = f"expo{next(_names)}-{APPID}"
    client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    old = client.put_object(Bucket=bucket, Key="v.txt", Body=b"1", ACL="public-read")
    client.put_object(Bucket=bucket, Key="v.txt", Body=b"2", ACL="private")
    client.delete_object(Bucket=bucket, Key="gone.txt")  # a delete marker has no ACL to read
    findings, _ = _scan(bucket, versions=True)
    by_version = {(f.entry.version_id, f.entry.is_latest): f.status for f in findings}
    assert by_version[(old["x-cos-version-id"], False)] == "public"
    assert sorted(by_version.values()) == ["private", "public"]
    current, _ = _scan(bucket)
    assert [(f.entry.key, f.status) for f in current] == [("v.txt", "private")]


def test_throttling_slows_the_scan_and_it_finishes(seeded, acl_console):  # type: ignore[no-untyped-def]
    # 20 SlowDowns on the ACL reads of the four acl/ keys: more than the client's own retries
    # absorb, so the scan's rate limiter has to step in; the answers are unchanged.
    acl_console.clear_faults()
    acl_console.set_faults(
        mode="error",
        status=503,
        code="SlowDown",
        count=20,
        path_prefix="/acl/",
        query_contains="acl",
    )
    findings, reader = _scan(seeded, rate=500)
    assert reader.throttled > 0 and reader.limiter.rate < 500
    expected = {key: status for key, (status, _r, _d) in EXPECTED.items()}
    assert {f.entry.key: f.status for f in findings} == expected | {UNREADABLE: "private"}
    assert acl_console.fault_state()["fired"] == 20


def test_the_rate_limiter_spaces_requests_and_adapts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(scanner.time, "sleep", sleep)
    limiter = scanner.RateLimiter(10, clock=lambda: now[0])
    for _ in range(5):
        limiter.acquire()
    assert now[0] == pytest.approx(100.4)  # 5 requests at 10/s: the 5th starts 0.4 s later
    limiter.throttled()
    assert limiter.rate == 5
    before = now[0]
    limiter.acquire()
    limiter.acquire()
    assert now[0] - before == pytest.approx(0.1 + 0.2)  # the slot booked at 10/s, then 5/s
    for _ in range(200):
        limiter.answered()
    assert limiter.rate == pytest.approx(5.25)
    assert len(slept) == 6


def test_make_private_per_object(seeded, acl_console):  # type: ignore[no-untyped-def]
    from objects_app.exposure import fix

    acl_console.clear_faults()
    client = get_cos_client()
    b_acl, policy = bucket_acl(seeded), bucket_policy(seeded)
    keys = ["acl/public.txt", "acl/grant-anyone.txt", "acl/signed-in.txt", "acl/private.txt",
            "inherit/a.txt", "policy/p1.txt"]  # fmt: skip
    dry = {
        k: fix.make_private(client, seeded, scanner.Entry(k), bucket_acl=b_acl, policy=policy,
                            dry_run=True).outcome
        for k in keys
    }  # fmt: skip
    assert dry == {
        "acl/public.txt": "changed", "acl/grant-anyone.txt": "changed",
        "acl/signed-in.txt": "changed", "acl/private.txt": "already-private",
        "inherit/a.txt": "changed", "policy/p1.txt": "still-public",
    }  # fmt: skip
    assert client.get_object_acl(Bucket=seeded, Key="acl/public.txt")["CannedACL"] == "public-read"
    done = [
        fix.make_private(client, seeded, scanner.Entry(k), bucket_acl=b_acl, policy=policy,
                         dry_run=False)
        for k in keys
    ]  # fmt: skip
    assert [o.outcome for o in done] == list(dry.values())
    assert done[5].still_public == "statement 1: cos:GetObject on policy/*"
    findings, _ = _scan(seeded, prefix="acl/")
    assert {f.status for f in findings} == {"private"}
    inherit = client.get_object_acl(Bucket=seeded, Key="inherit/a.txt")
    assert inherit["CannedACL"] == "private"
    assert done[1].audit_detail == (
        "before: canned=private; grants=[READ qcs::cam::anyone:anyone] | "
        "after: canned=private; grants=[]"
    )
