"""Signature verification: header and query forms, key-time expiry, STS tokens, tampering."""

from __future__ import annotations

import pytest
import requests
from qcloud_cos import CosS3Client, CosServiceError

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import (
    TEMP_ID,
    TEMP_KEY,
    TEMP_TOKEN,
    TOKEN,
    host_for,
    local_url,
    sdk_client,
    signed_request,
)


def test_wrong_secret_key_is_rejected(coslocal_srv: CoslocalServer, bucket: str) -> None:
    bad = sdk_client(coslocal_srv, SecretKey="not-the-key")
    with pytest.raises(CosServiceError) as exc:
        bad.put_object(Bucket=bucket, Key="x", Body=b"x")
    err = exc.value
    assert (err.get_status_code(), err.get_error_code()) == (403, "SignatureDoesNotMatch")
    assert "<StringToSign>" in err.get_origin_msg()


def test_unknown_secret_id(coslocal_srv: CoslocalServer, bucket: str) -> None:
    bad = sdk_client(coslocal_srv, SecretId="AKIDunknown")
    with pytest.raises(CosServiceError) as exc:
        bad.list_objects(Bucket=bucket)
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (403, "InvalidAccessKeyId")


def test_tampered_request_fails(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="t", Body=b"x")
    auth = url_signer.get_auth(Method="GET", Bucket=bucket, Key="t")
    base = coslocal_srv.endpoint_url
    ok = requests.get(
        f"{base}/t", headers={"Host": host_for(bucket), "Authorization": auth}, timeout=5
    )
    assert ok.status_code == 200
    for path, host in [("/other", host_for(bucket)), ("/t", host_for("other-1250000000"))]:
        resp = requests.get(
            f"{base}{path}", headers={"Host": host, "Authorization": auth}, timeout=5
        )
        assert resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content
    signed_params = url_signer.get_auth(
        Method="GET", Bucket=bucket, Key="t", Params={"response-content-type": "a/b"}
    )
    resp = requests.get(
        f"{base}/t?response-content-type=c/d",
        headers={"Host": host_for(bucket), "Authorization": signed_params},
        timeout=5,
    )
    assert resp.status_code == 403


def test_expired_key_time(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="e", Body=b"x")
    valid, headers = local_url(
        coslocal_srv, url_signer.get_presigned_url(Bucket=bucket, Key="e", Method="GET")
    )
    assert requests.get(valid, headers=headers, timeout=5).status_code == 200
    # the SDK computes the key time as (now - 60; now + Expired): a negative Expired has ended
    expired, headers = local_url(
        coslocal_srv,
        url_signer.get_presigned_url(Bucket=bucket, Key="e", Method="GET", Expired=-30),
    )
    resp = requests.get(expired, headers=headers, timeout=5)
    assert resp.status_code == 403
    assert b"<Code>AccessDenied</Code>" in resp.content
    assert b"Request has expired" in resp.content
    auth = url_signer.get_auth(Method="GET", Bucket=bucket, Key="e", Expired=-30)
    resp = requests.get(
        f"{coslocal_srv.endpoint_url}/e",
        headers={"Host": host_for(bucket), "Authorization": auth},
        timeout=5,
    )
    assert resp.status_code == 403 and b"Request has expired" in resp.content


def test_presigned_put_and_get(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, bucket: str
) -> None:
    put_url, headers = local_url(
        coslocal_srv, url_signer.get_presigned_url(Bucket=bucket, Key="pre signed+é", Method="PUT")
    )
    assert requests.put(put_url, data=b"via url", headers=headers, timeout=5).status_code == 200
    get_url, headers = local_url(
        coslocal_srv,
        url_signer.get_presigned_url(
            Bucket=bucket,
            Key="pre signed+é",
            Method="GET",
            Params={"response-content-disposition": "attachment; filename=x y.txt"},
        ),
    )
    resp = requests.get(get_url, headers=headers, timeout=5)
    assert resp.content == b"via url"
    assert resp.headers["Content-Disposition"] == "attachment; filename=x y.txt"
    # the same URL for another key must fail
    wrong = get_url.replace("pre%20signed", "pre%20signex")
    assert requests.get(wrong, headers=headers, timeout=5).status_code == 403


def test_sts_tokens(coslocal_srv: CoslocalServer, bucket: str) -> None:
    with_token = sdk_client(coslocal_srv, Token=TOKEN)
    with_token.put_object(Bucket=bucket, Key="sts", Body=b"x")
    bad_token = sdk_client(coslocal_srv, Token="forged-token")
    with pytest.raises(CosServiceError) as exc:
        bad_token.get_object(Bucket=bucket, Key="sts")
    assert exc.value.get_status_code() == 403
    temp = sdk_client(coslocal_srv, SecretId=TEMP_ID, SecretKey=TEMP_KEY, Token=TEMP_TOKEN)
    assert temp.get_object(Bucket=bucket, Key="sts")["Body"].get_raw_stream().read() == b"x"
    no_token = sdk_client(coslocal_srv, SecretId=TEMP_ID, SecretKey=TEMP_KEY)
    with pytest.raises(CosServiceError) as exc:
        no_token.get_object(Bucket=bucket, Key="sts")
    assert exc.value.get_status_code() == 403


def test_sts_token_in_presigned_url(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    from qcloud_cos import CosConfig

    sdk.put_object(Bucket=bucket, Key="p", Body=b"tok")
    signer = CosS3Client(
        CosConfig(
            Region="ap-guangzhou",
            SecretId=TEMP_ID,
            SecretKey=TEMP_KEY,
            Token=TEMP_TOKEN,
            Scheme="http",
        )
    )
    ok = signer.get_presigned_url(
        Bucket=bucket, Key="p", Method="GET", Params={"x-cos-security-token": TEMP_TOKEN}
    )
    url, headers = local_url(coslocal_srv, ok)
    assert requests.get(url, headers=headers, timeout=5).content == b"tok"
    missing = signer.get_presigned_url(Bucket=bucket, Key="p", Method="GET")
    url, headers = local_url(coslocal_srv, missing)
    assert requests.get(url, headers=headers, timeout=5).status_code == 403


def test_host_port_is_stripped_for_verification(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, service_sdk: CosS3Client, bucket: str
) -> None:
    # ServiceDomain=127.0.0.1:port signs host "127.0.0.1" while the wire carries the port
    names = [b["Name"] for b in service_sdk.list_buckets()["Buckets"]["Bucket"]]
    assert bucket in names


def test_signed_query_params_with_spaces(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="sp ace/x", Body=b"x")
    resp = signed_request(
        coslocal_srv, url_signer, "GET", bucket, params={"prefix": "sp ace/", "max-keys": "5"}
    )
    assert resp.status_code == 200 and "<Key>sp ace/x</Key>" in resp.text
