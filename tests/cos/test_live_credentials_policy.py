"""Refreshing credentials (CredentialInstance, with STS tokens) and bucket policies, live."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from coslocal.testing import CoslocalServer
from objects_app.cos import CosS3Client, CosServiceError

from .conftest import APPID, REGION, SECRET_ID, SECRET_KEY, STS_TOKEN
from .sdk_pair import ours_dns, pinned_session


class StsCredential:
    """The duck type tencentcloud's STS credential objects have: three attributes."""

    def __init__(self, token: str | None) -> None:
        self.secret_id, self.secret_key, self.token = SECRET_ID, SECRET_KEY, token


def test_the_instance_token_is_sent_and_reread_for_every_request(
    cos_server: CoslocalServer, client: CosS3Client, bucket: str
) -> None:
    creds = StsCredential(token="expired-token")
    sts = ours_dns(cos_server, CredentialInstance=creds)
    with pytest.raises(CosServiceError) as info:
        sts.put_object(Bucket=bucket, Key="sts", Body=b"1")
    assert info.value.status_code == 403  # the (bad) token was sent, and checked
    creds.token = STS_TOKEN  # refreshed
    sts.put_object(Bucket=bucket, Key="sts", Body=b"1")
    url = sts.get_presigned_download_url(Bucket=bucket, Key="sts")
    assert parse_qs(urlsplit(url).query)["x-cos-security-token"] == [STS_TOKEN]
    assert pinned_session(cos_server).get(url, timeout=10).content == b"1"


def test_policy_set_through_the_client_is_enforced(
    cos_server: CoslocalServer, client: CosS3Client, bucket: str
) -> None:
    client.put_object(Bucket=bucket, Key="public/a", Body=b"a")
    client.put_object(Bucket=bucket, Key="private/b", Body=b"b")
    anonymous = ours_dns(cos_server, Anonymous=True)
    with pytest.raises(CosServiceError):
        anonymous.get_object(Bucket=bucket, Key="public/a")
    policy = {
        "version": "2.0",
        "Statement": [{
            "Effect": "Allow", "Principal": {"qcs": ["qcs::cam::anyone:anyone"]},
            "Action": ["name/cos:GetObject"],
            "Resource": [f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/public/*"],
        }],
    }  # fmt: skip
    client.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"]) == policy
    assert anonymous.get_object(Bucket=bucket, Key="public/a")["Body"].read_all() == b"a"
    with pytest.raises(CosServiceError) as denied:
        anonymous.get_object(Bucket=bucket, Key="private/b")
    assert denied.value.code == "AccessDenied"
    client.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(CosServiceError) as gone:
        client.get_bucket_policy(Bucket=bucket)
    assert gone.value.status_code == 404
    with pytest.raises(CosServiceError):
        anonymous.get_object(Bucket=bucket, Key="public/a")


def test_a_refused_policy_changes_nothing(client: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as info:
        client.put_bucket_policy(Bucket=bucket, Policy="{not json")
    assert info.value.status_code == 400
    with pytest.raises(CosServiceError):
        client.get_bucket_policy(Bucket=bucket)
