"""Archive storage classes and the POST Object restore lifecycle (server runs 1 s restores)."""

from __future__ import annotations

import time

import pytest
from qcloud_cos import CosS3Client, CosServiceError


def _restore(
    sdk: CosS3Client, bucket: str, key: str, tier: str = "Expedited", days: int = 1
) -> None:
    sdk.restore_object(
        Bucket=bucket, Key=key, RestoreRequest={"Days": days, "CASJobParameters": {"Tier": tier}}
    )


def _wait_for(predicate, timeout: float = 6.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_archive_restore_lifecycle(sdk: CosS3Client, bucket: str) -> None:
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

    _wait_for(lambda: "false" in sdk.head_object(Bucket=bucket, Key="cold")["x-cos-restore"])
    head = sdk.head_object(Bucket=bucket, Key="cold")
    assert head["x-cos-restore"].startswith('ongoing-request="false", expiry-date="')
    assert head["x-cos-storage-class"] == "ARCHIVE"
    assert sdk.get_object(Bucket=bucket, Key="cold")["Body"].get_raw_stream().read() == b"frozen"
    assert sdk.list_objects(Bucket=bucket, Prefix="cold")["Contents"][0]["RestoreStatus"] == "DONE"

    # the shared server uses 2-second "days": the restored copy expires and GET is refused again
    _wait_for(lambda: "x-cos-restore" not in sdk.head_object(Bucket=bucket, Key="cold"))
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
