"""Restore timing per storage class and tier, on a time scale, and expiry of the restored copy.

Issue 14: with --time-scale 12, COS's documented times (protocol 3.17, the upper end of each
range) become ARCHIVE Expedited 25 s, Standard 1,500 s, Bulk 3,600 s; DEEP_ARCHIVE Standard
7,200 s, Bulk 14,400 s; a restore day is 7,200 s. The tests move the server's restore clock with
advance_clock() instead of sleeping, except one that watches a restore finish in real time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from qcloud_cos import CosS3Client, CosServiceError

from coslocal.config import parse_config
from coslocal.restore import duration
from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import new_bucket_name, sdk_client

CASES = [  # (class, tier, real seconds at scale 12)
    ("ARCHIVE", "Expedited", 25),
    ("ARCHIVE", "Standard", 1500),
    ("ARCHIVE", "Bulk", 3600),
    ("DEEP_ARCHIVE", "Standard", 7200),
    ("DEEP_ARCHIVE", "Bulk", 14400),
]
DAY = 7200


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoslocalServer]:
    srv = CoslocalServer(tmp_path_factory.mktemp("scaled"), time_scale=12).start()
    yield srv
    srv.stop()


@pytest.fixture
def client(scaled: CoslocalServer) -> CosS3Client:
    return sdk_client(scaled)


def _restore(client: CosS3Client, bucket: str, key: str, tier: str, days: int = 1) -> None:
    client.restore_object(
        Bucket=bucket, Key=key, RestoreRequest={"Days": days, "CASJobParameters": {"Tier": tier}}
    )


def _state(client: CosS3Client, bucket: str, key: str) -> str:
    header = client.head_object(Bucket=bucket, Key=key).get("x-cos-restore")
    if header is None:
        return "archived"
    return "ongoing" if header == 'ongoing-request="true"' else "ready"


def _readable(client: CosS3Client, bucket: str, key: str) -> bool:
    try:
        client.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read()
    except CosServiceError as err:
        assert (err.get_status_code(), err.get_error_code()) == (403, "InvalidObjectState")
        return False
    return True


def test_each_class_and_tier_takes_its_documented_time(
    scaled: CoslocalServer, client: CosS3Client
) -> None:
    bucket = new_bucket_name("timing")
    client.create_bucket(Bucket=bucket)
    for klass, tier, _ in CASES:
        key = f"{klass}-{tier}"
        client.put_object(Bucket=bucket, Key=key, Body=b"cold", StorageClass=klass)
        _restore(client, bucket, key, tier)
    assert {_state(client, bucket, f"{c}-{t}") for c, t, _ in CASES} == {"ongoing"}
    elapsed = 0.0
    for i, (_, _, seconds) in enumerate(CASES):
        # just past this case's time: it (and every faster one) is ready, the slower ones not yet
        scaled.advance_clock(seconds + 2 - elapsed)
        elapsed = seconds + 2
        for j, (klass, tier, _) in enumerate(CASES):
            key = f"{klass}-{tier}"
            if j <= i and seconds + 2 < CASES[j][2] + DAY:
                assert _state(client, bucket, key) == "ready", (key, elapsed)
                assert _readable(client, bucket, key)
            elif j > i:
                assert _state(client, bucket, key) == "ongoing", (key, elapsed)
                assert not _readable(client, bucket, key)
            else:  # ready long ago and past its one day: archived again
                assert _state(client, bucket, key) == "archived", (key, elapsed)


def test_restored_copy_expires_after_its_days(scaled: CoslocalServer, client: CosS3Client) -> None:
    bucket = new_bucket_name("expiry")
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="k", Body=b"cold", StorageClass="ARCHIVE")
    _restore(client, bucket, "k", "Expedited", days=2)
    scaled.advance_clock(30)  # ready
    head = client.head_object(Bucket=bucket, Key="k")
    assert head["x-cos-restore"].startswith('ongoing-request="false", expiry-date="')
    assert client.list_objects(Bucket=bucket)["Contents"][0]["RestoreStatus"] == "DONE"
    scaled.advance_clock(2 * DAY - 60)  # still within Days=2
    assert _readable(client, bucket, "k")
    scaled.advance_clock(120)  # past ready + 2 days: archived again
    assert _state(client, bucket, "k") == "archived"
    assert not _readable(client, bucket, "k")
    assert "RestoreStatus" not in client.list_objects(Bucket=bucket)["Contents"][0]
    # and it can be restored again, from the start
    _restore(client, bucket, "k", "Expedited")
    assert _state(client, bucket, "k") == "ongoing"


def test_repeat_restore_rules(scaled: CoslocalServer, client: CosS3Client) -> None:
    bucket = new_bucket_name("rules")
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="a", Body=b"a", StorageClass="ARCHIVE")
    _restore(client, bucket, "a", "Bulk")
    with pytest.raises(CosServiceError) as exc:  # even with another tier
        _restore(client, bucket, "a", "Expedited")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (
        409,
        "RestoreAlreadyInProgress",
    )
    scaled.advance_clock(3602)
    first = client.head_object(Bucket=bucket, Key="a")["x-cos-restore"]
    scaled.advance_clock(DAY / 2)
    _restore(client, bucket, "a", "Bulk", days=3)  # a restored copy: the expiry moves (200)
    second = client.head_object(Bucket=bucket, Key="a")["x-cos-restore"]
    assert first != second
    scaled.advance_clock(DAY * 2)  # past the first expiry, within the extended one
    assert _readable(client, bucket, "a")


@pytest.mark.parametrize(
    ("klass", "tier", "status", "code"),
    [
        ("DEEP_ARCHIVE", "Expedited", 400, "InvalidArgument"),  # no Expedited for DEEP_ARCHIVE
        ("ARCHIVE", "Fastest", 400, "InvalidArgument"),
        ("STANDARD", "Standard", 405, "RestoreNonArchiveObject"),
        ("STANDARD_IA", "Bulk", 405, "RestoreNonArchiveObject"),
        ("INTELLIGENT_TIERING", "Bulk", 405, "RestoreNonArchiveObject"),
    ],
)
def test_restore_refusals(
    client: CosS3Client, klass: str, tier: str, status: int, code: str
) -> None:
    bucket = new_bucket_name("refuse")
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="o", Body=b"o", StorageClass=klass)
    with pytest.raises(CosServiceError) as exc:
        _restore(client, bucket, "o", tier)
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (status, code)
    assert "x-cos-restore" not in client.head_object(Bucket=bucket, Key="o")


def test_a_demo_scale_turns_ongoing_into_ready_in_real_seconds(tmp_path: Path) -> None:
    # 600x: Expedited (5 min) takes 0.5 s, a day lasts 144 s; no clock tricks here
    with CoslocalServer(tmp_path, time_scale=600).start() as srv:
        client = sdk_client(srv)
        bucket = new_bucket_name("demo")
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="k", Body=b"cold", StorageClass="ARCHIVE")
        _restore(client, bucket, "k", "Expedited")
        started = time.monotonic()
        assert _state(client, bucket, "k") == "ongoing" or time.monotonic() - started > 0.5
        while _state(client, bucket, "k") != "ready":
            assert time.monotonic() - started < 10
            time.sleep(0.05)
        assert _readable(client, bucket, "k")


def test_timing_flags(tmp_path: Path) -> None:
    base = ["--data", str(tmp_path), "--secret-id", "id", "--secret-key", "key"]
    table = parse_config(base)
    assert duration(table, "DEEP_ARCHIVE", "Bulk") == 48 * 3600  # the default is COS's own time
    scaled = parse_config([*base, "--time-scale", "3600", "--restore-time", "archive:bulk=7200"])
    assert duration(scaled, "ARCHIVE", "Bulk") == 2
    assert duration(scaled, "ARCHIVE", "Standard") == 5
    flat = parse_config([*base, "--time-scale", "3600", "--restore-seconds", "7"])
    assert duration(flat, "DEEP_ARCHIVE", "Standard") == 7
    with pytest.raises(SystemExit):
        parse_config([*base, "--restore-time", "DEEP_ARCHIVE:Expedited=1"])
    with pytest.raises(SystemExit):
        parse_config([*base, "--time-scale", "0"])
