"""Archive storage classes and the POST Object restore lifecycle.

The shared server restores in 60 s and counts a restore "day" as 100 s of its restore clock; the
tests move that clock forward through the admin endpoint instead of sleeping.
"""

from __future__ import annotations

import pytest
from qcloud_cos import CosS3Client, CosServiceError

from coslocal import restore
from coslocal.testing import CoslocalServer


def _restore(
    sdk: CosS3Client, bucket: str, key: str, tier: str = "Expedited", days: int = 1
) -> None:
    sdk.restore_object(
        Bucket=bucket, Key=key, RestoreRequest={"Days": days, "CASJobParameters": {"Tier": tier}}
    )


def test_archive_restore_lifecycle(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass="ARCHIVE")
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="cold")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (403, "InvalidObjectState")
    assert "x-cos-restore" not in sdk.head_object(Bucket=bucket, Key="cold")

    _restore(sdk, bucket, "cold")
    head = sdk.head_object(Bucket=bucket, Key="cold")
    assert head["x-cos-restore"] == 'ongoing-request="true"'
    assert 'tier="expedited"' in head["x-cos-restore-status"]
    assert (
        sdk.list_objects(Bucket=bucket, Prefix="cold")["Contents"][0]["RestoreStatus"] == "ONGOING"
    )
    with pytest.raises(CosServiceError) as exc:
        _restore(sdk, bucket, "cold")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (
        409,
        "RestoreAlreadyInProgress",
    )
    with pytest.raises(CosServiceError):
        sdk.get_object(Bucket=bucket, Key="cold")

    coslocal_srv.advance_clock(61)  # past --restore-seconds: the restore has finished
    head = sdk.head_object(Bucket=bucket, Key="cold")
    assert head["x-cos-restore"].startswith('ongoing-request="false", expiry-date="')
    assert head["x-cos-storage-class"] == "ARCHIVE"
    assert sdk.get_object(Bucket=bucket, Key="cold")["Body"].get_raw_stream().read() == b"frozen"
    assert sdk.list_objects(Bucket=bucket, Prefix="cold")["Contents"][0]["RestoreStatus"] == "DONE"

    # Days=1 is 100 s of restore clock here: afterwards the copy is gone and GET is refused again
    coslocal_srv.advance_clock(100)
    assert "x-cos-restore" not in sdk.head_object(Bucket=bucket, Key="cold")
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="cold")
    assert exc.value.get_error_code() == "InvalidObjectState"


def test_restore_tiers_and_non_archive(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="deep", Body=b"d", StorageClass="DEEP_ARCHIVE")
    with pytest.raises(CosServiceError) as exc:
        _restore(sdk, bucket, "deep", tier="Expedited")  # DEEP_ARCHIVE has no Expedited tier
    assert exc.value.get_status_code() == 400
    _restore(sdk, bucket, "deep", tier="Bulk")
    assert 'tier="bulk"' in sdk.head_object(Bucket=bucket, Key="deep")["x-cos-restore-status"]
    sdk.put_object(Bucket=bucket, Key="warm", Body=b"w")
    with pytest.raises(CosServiceError) as exc:
        _restore(sdk, bucket, "warm")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (
        405,
        "RestoreNonArchiveObject",
    )
    with pytest.raises(CosServiceError) as exc:
        _restore(sdk, bucket, "missing")
    assert exc.value.get_status_code() == 404


def test_repeat_after_completion_extends_expiry(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="again", Body=b"a", StorageClass="ARCHIVE")
    _restore(sdk, bucket, "again", days=1)
    coslocal_srv.advance_clock(61)
    first = sdk.head_object(Bucket=bucket, Key="again")["x-cos-restore"]
    coslocal_srv.advance_clock(50)
    _restore(sdk, bucket, "again", days=2)  # 200: the finished copy gets a new expiry
    second = sdk.head_object(Bucket=bucket, Key="again")["x-cos-restore"]
    assert first != second and second.startswith('ongoing-request="false"')


def test_restore_state_machine_by_timestamps() -> None:
    record = {"requested": 100.0, "ready": 110.0, "expires": 200.0, "tier": "Bulk"}
    assert restore.state(None, at=0) == "none"
    assert [restore.state(record, at=t) for t in (100, 109.9, 110, 199.9, 200)] == [
        "ongoing",
        "ongoing",
        "done",
        "done",
        "expired",
    ]
    assert not restore.readable("ARCHIVE", record) or restore.state(record) == "done"
    assert restore.readable("STANDARD", None)
