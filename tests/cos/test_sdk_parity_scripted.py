"""Both clients against the same scripted answers (``responses`` patches requests for both).

For what coslocal cannot show: answers that did not come from COS (AutoSwitchDomainOnRetry),
exact request shapes (bucket policy), and the digest of bodiless errors.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
import responses
from qcloud_cos import CosConfig as SdkConfig
from qcloud_cos import CosS3Client as SdkClient
from requests.structures import CaseInsensitiveDict

from objects_app.cos import CosConfig, CosS3Client, CosServiceError

BUCKET = "demo-1250000000"
OLD = f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/k"
NEW = f"https://{BUCKET}.cos.ap-guangzhou.tencentcos.cn/k"
CONF: dict[str, Any] = {"Region": "ap-guangzhou", "SecretId": "id", "SecretKey": "key"}


def both(retry: int = 1, **conf: Any) -> list[Any]:
    ours = CosS3Client(CosConfig(**CONF, RetryBackoff=0.001, **conf), retry=retry)
    return [ours, SdkClient(SdkConfig(**CONF, **conf), retry=retry)]


def urls(rs: responses.RequestsMock) -> list[str]:
    return [str(call.request.url).split("?")[0] for call in rs.calls]


@pytest.mark.parametrize(
    ("first", "switched"),
    [
        ({"status": 503}, True),  # a 5xx that COS did not send (no request id)
        ({"status": 302, "headers": {"Location": "https://elsewhere/"}}, True),
        ({"status": 503, "headers": {"x-cos-request-id": "r1"}}, False),  # COS itself: stay
    ],
)
def test_auto_switch_domain_on_retry_parity(first: dict[str, Any], switched: bool) -> None:
    seen = []
    for client in both(AutoSwitchDomainOnRetry=True):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
            rs.add("HEAD", OLD, **first)
            rs.add("HEAD", NEW, status=200, headers={"ETag": '"e"'})
            try:
                client.head_object(Bucket=BUCKET, Key="k")
                outcome = "ok"
            except Exception as exc:
                outcome = f"error {exc.get_status_code()}"  # type: ignore[attr-defined]
            seen.append((urls(rs), outcome))
    assert seen[0] == seen[1]
    assert seen[0][0] == ([OLD, NEW] if switched else [OLD, OLD])


def test_no_switch_unless_asked_or_on_other_hosts() -> None:
    seen = []
    for client in both() + both(
        AutoSwitchDomainOnRetry=True, Endpoint="cos.accelerate.myqcloud.com"
    ):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
            rs.add("HEAD", OLD, status=503)
            rs.add("HEAD", f"https://{BUCKET}.cos.accelerate.myqcloud.com/k", status=503)
            with pytest.raises(Exception):  # noqa: B017 - either client's CosServiceError
                client.head_object(Bucket=BUCKET, Key="k")
            seen.append(urls(rs))
    assert seen[0] == seen[1] == [OLD, OLD]
    assert seen[2] == seen[3] and "tencentcos" not in "".join(seen[2])


def test_bucket_policy_requests_and_answers_match_the_sdk() -> None:
    policy = {"version": "2.0", "Statement": [{"Effect": "Deny", "Action": ["name/cos:*"]}]}
    answer = '{"Statement":[{"Action":["name/cos:*"],"Effect":"Deny"}],"version":"2.0"}'
    seen = []
    for client in both(retry=0):
        with responses.RequestsMock() as rs:
            rs.add("PUT", f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/?policy", status=204)
            rs.add("GET", f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/?policy", body=answer)
            rs.add("DELETE", f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com/?policy", status=204)
            put = client.put_bucket_policy(Bucket=BUCKET, Policy=policy)
            got = client.get_bucket_policy(Bucket=BUCKET)
            gone = client.delete_bucket_policy(Bucket=BUCKET)
            sent = rs.calls[0].request
            body, kind = (
                v.decode() if isinstance(v, bytes) else v  # the SDK sends bytes values
                for v in (sent.body, sent.headers["Content-Type"])
            )
            seen.append((put, got, gone, kind, body))
    assert seen[0] == seen[1]
    assert seen[0][1] == {"Policy": json.dumps(json.loads(answer))}
    assert json.loads(str(seen[0][4])) == policy


def test_bucket_policy_refuses_other_types_before_sending() -> None:
    for client in both(retry=0):
        with responses.RequestsMock() as rs, pytest.raises(Exception) as info:
            client.put_bucket_policy(Bucket=BUCKET, Policy=b"{}")
        assert "json format" in str(info.value) and len(rs.calls) == 0


def test_digest_of_bodiless_errors_matches_the_sdk() -> None:
    headers = {"x-cos-request-id": "req-9", "x-cos-trace-id": "tr-9", "Content-Length": "0"}
    seen = []
    for client in both(retry=0):
        digests = []
        with responses.RequestsMock() as rs:
            rs.add("HEAD", OLD, status=403, headers=headers)
            rs.add("HEAD", OLD, status=404, headers=headers)
            rs.add("HEAD", OLD, status=404)
            for _ in range(3):
                with pytest.raises(Exception) as info:
                    client.head_object(Bucket=BUCKET, Key="k")
                digests.append(info.value.get_digest_msg())  # type: ignore[attr-defined]
        seen.append(digests)
    ours, sdk = seen
    assert isinstance(ours[0], CaseInsensitiveDict) and ours[0]["X-Cos-Request-Id"] == "req-9"
    assert dict(ours[0]) == dict(sdk[0])
    assert ours[1] == sdk[1] == {
        "code": "NoSuchResource", "message": "The Resource You Head Not Exist",
        "resource": OLD, "requestid": "req-9", "traceid": "tr-9",
    }  # fmt: skip
    assert ours[2] == sdk[2] and "requestid" not in ours[2]


def test_bodiless_error_digest_survives_pickling() -> None:
    (ours,) = both(retry=0)[:1]
    with responses.RequestsMock() as rs:
        rs.add("HEAD", OLD, status=403, headers={"x-cos-request-id": "req-7"})
        with pytest.raises(CosServiceError) as info:
            ours.head_object(Bucket=BUCKET, Key="k")
    back = pickle.loads(pickle.dumps(info.value))
    assert back.get_digest_msg()["x-cos-request-id"] == "req-7"
    assert (back.get_status_code(), back.get_error_code()) == (403, "AccessDenied")
