"""One parity test per SDK method: the same calls through both clients, the same results.

Both clients are configured as for real COS (host names pinned to coslocal, see sdk_pair), so
each runs its own URL and host logic. Results are compared after ``normalise`` (volatile values
such as dates and request ids masked, the bucket's name replaced): keys, types and values.
"""

from __future__ import annotations

import io
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from coslocal.testing import CoslocalServer

from .conftest import APPID, REGION, SECRET_ID, SECRET_KEY, new_bucket_name
from .sdk_pair import normalise, ours_dns, pinned_session, sdk_dns

MB = 1024 * 1024
Scenario = Callable[[Any, str, Path], list[tuple[str, Any]]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def data(size: int, seed: int = 3) -> bytes:
    import random

    return random.Random(seed).randbytes(size)


def head(c: Any, b: str, key: str) -> dict[str, Any]:
    """HEAD headers that describe the object (transport headers left out)."""
    skip = {"Connection", "Server", "Accept-Ranges", "Keep-Alive"}
    return {k: v for k, v in c.head_object(Bucket=b, Key=key).items() if k not in skip}


@scenario
def object_exists(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    c.put_object(Bucket=b, Key="here", Body=b"1")
    return [("exists", c.object_exists(Bucket=b, Key="here")),
            ("missing", c.object_exists(Bucket=b, Key="nowhere"))]  # fmt: skip


@scenario
def bucket_exists(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    return [("exists", c.bucket_exists(Bucket=b)),
            ("missing", c.bucket_exists(Bucket=f"nope{b}"))]  # fmt: skip


@scenario
def get_bucket_location(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    return [("location", c.get_bucket_location(Bucket=b))]


@scenario
def get_object_url(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    return [("url", c.get_object_url(Bucket=b, Key="dir/a b+中.txt"))]


@scenario
def get_conf(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    conf = c.get_conf()
    return [("uri", conf.uri(b, "k/x y")), ("host", conf.get_host(b))]


def _presigned(c: Any, url: str, server: CoslocalServer) -> list[tuple[str, Any]]:
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    resp = pinned_session(server).get(url, timeout=10)
    return [
        ("path", f"{parts.scheme}://{parts.netloc}{parts.path}"),
        ("query keys", sorted(query)),
        ("signed headers", query["q-header-list"]),
        ("signed params", query["q-url-param-list"]),
        ("fetched", (resp.status_code, resp.content, resp.headers.get("Content-Type"))),
    ]


def get_presigned_url(c: Any, b: str, server: CoslocalServer) -> list[tuple[str, Any]]:
    c.put_object(Bucket=b, Key="pre/a b.txt", Body=b"presigned")
    url = c.get_presigned_url(Bucket=b, Key="pre/a b.txt", Method="GET", Expired=60)
    return _presigned(c, url, server)


def get_presigned_download_url(c: Any, b: str, server: CoslocalServer) -> list[tuple[str, Any]]:
    c.put_object(Bucket=b, Key="pre/d", Body=b"download")
    url = c.get_presigned_download_url(
        Bucket=b, Key="pre/d", Params={"response-content-type": "text/x-test"}
    )
    return _presigned(c, url, server)


def get_auth(c: Any, b: str, server: CoslocalServer) -> list[tuple[str, Any]]:
    c.put_object(Bucket=b, Key="auth", Body=b"a")
    auth = c.get_auth(Method="GET", Bucket=b, Key="auth", Params={"acl": ""})
    fields = dict(item.split("=", 1) for item in auth.split("&"))
    url = c.get_conf().uri(b, "auth") + "?acl"
    resp = pinned_session(server).get(url, headers={"Authorization": auth}, timeout=10)
    return [("fields", sorted(fields)), ("lists", (fields["q-header-list"],
            fields["q-url-param-list"])), ("status", resp.status_code)]  # fmt: skip


@scenario
def put_object_from_local_file(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    (tmp / "local").write_bytes(data(3000))
    result = c.put_object_from_local_file(
        Bucket=b, LocalFilePath=str(tmp / "local"), Key="lf", EnableMD5=True, ContentType="a/b"
    )
    return [("result", result), ("head", head(c, b, "lf"))]


@scenario
def upload_file(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    (tmp / "small").write_bytes(data(1000))
    (tmp / "big").write_bytes(data(3 * MB + 17))
    small = c.upload_file(Bucket=b, Key="small", LocalFilePath=str(tmp / "small"), PartSize=1)
    big = c.upload_file(
        Bucket=b, Key="big", LocalFilePath=str(tmp / "big"), PartSize=1, MAXThread=2,
        Metadata={"x-cos-meta-k": "v"}, ContentType="x/y",
    )  # fmt: skip
    return [("small", small), ("big", big), ("head", head(c, b, "big"))]


@scenario
def upload_file_from_buffer(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    small = c.upload_file_from_buffer(Bucket=b, Key="s", Body=io.BytesIO(data(500)), PartSize=1)
    big = c.upload_file_from_buffer(
        Bucket=b, Key="b", Body=io.BytesIO(data(3 * MB + 5)), PartSize=1, MaxBufferSize=2,
        ContentType="x/y",
    )  # fmt: skip
    exact = c.upload_file_from_buffer(Bucket=b, Key="e", Body=io.BytesIO(data(MB)), PartSize=1)
    got = c.get_object(Bucket=b, Key="b")["Body"].get_raw_stream().read()
    return [("small", small), ("big", big), ("one full part", exact),
            ("head", head(c, b, "b")), ("content", got == data(3 * MB + 5))]  # fmt: skip


@scenario
def download_file(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    body = data(3 * MB + 3)
    c.put_object(Bucket=b, Key="dl", Body=body)
    out: list[tuple[str, Any]] = []
    for part_size in (1, 20):
        dest = tmp / f"dl{part_size}"
        result = c.download_file(
            Bucket=b, Key="dl", DestFilePath=str(dest), PartSize=part_size,
            DumpRecordDir=str(tmp),
        )  # fmt: skip
        out.append((f"part size {part_size}", (result, dest.read_bytes() == body)))
    return out


@scenario
def copy(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    c.put_object(Bucket=b, Key="src", Body=data(2000), ContentType="c/d")
    source = {"Bucket": b, "Key": "src", "Region": REGION}
    result = c.copy(Bucket=b, Key="dst", CopySource=source)
    replaced = c.copy(
        Bucket=b, Key="dst2", CopySource=source, CopyStatus="Replaced", ContentType="e/f"
    )
    return [("copy", result), ("replaced", replaced), ("head", head(c, b, "dst")),
            ("head replaced", head(c, b, "dst2"))]  # fmt: skip


@scenario
def change_object_storage_class(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    c.put_object(Bucket=b, Key="sc", Body=b"cold soon", ContentType="text/plain")
    result = c.change_object_storage_class(Bucket=b, Key="sc", StorageClass="STANDARD_IA")
    return [("result", result), ("head", head(c, b, "sc"))]


@scenario
def update_object_meta(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    c.put_object(Bucket=b, Key="m", Body=b"meta", Metadata={"x-cos-meta-old": "1"})
    result = c.update_object_meta(
        Bucket=b, Key="m", ContentType="text/html", Metadata={"x-cos-meta-new": "2"}
    )
    return [("result", result), ("head", head(c, b, "m"))]


@scenario
def bucket_policy(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    resource = f"qcs::cos:{REGION}:uid/{APPID}:{b}/public/*"
    policy = {
        "version": "2.0",
        "Statement": [{
            "Effect": "Allow", "Principal": {"qcs": ["qcs::cam::anyone:anyone"]},
            "Action": ["name/cos:GetObject"], "Resource": [resource],
        }],
    }  # fmt: skip
    out: list[tuple[str, Any]] = [("put dict", c.put_bucket_policy(Bucket=b, Policy=policy))]
    got = c.get_bucket_policy(Bucket=b)
    out += [("get", got), ("same policy", json.loads(got["Policy"]) == policy)]
    out.append(("put text", c.put_bucket_policy(Bucket=b, Policy=json.dumps(policy))))
    out.append(("delete", c.delete_bucket_policy(Bucket=b)))
    out.append(("get none", _error(lambda: c.get_bucket_policy(Bucket=b))))
    return out


@scenario
def bucket_acl_with_grants(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    owner = f"qcs::cam::uin/{APPID}:uin/{APPID}"
    grantee = f"qcs::cam::uin/{APPID}:uin/100000000011"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    policy = {
        "Owner": {"ID": owner},
        "AccessControlList": {"Grant": [
            {"Grantee": {"@xmlns:xsi": xsi, "@xsi:type": "CanonicalUser", "ID": grantee},
             "Permission": "READ"},
            {"Grantee": {"@xmlns:xsi": xsi, "@xsi:type": "Group",
                         "URI": "http://cam.qcloud.com/groups/global/AllUsers"},
             "Permission": "READ"},
        ]},
    }  # fmt: skip
    c.put_object(Bucket=b, Key="o", Body=b"o")
    return [
        ("put bucket", c.put_bucket_acl(Bucket=b, AccessControlPolicy=policy)),
        ("get bucket", c.get_bucket_acl(Bucket=b)),
        ("put bucket header", c.put_bucket_acl(Bucket=b, GrantRead=f'id="{grantee}"')),
        ("get bucket header", c.get_bucket_acl(Bucket=b)),
        ("put object", c.put_object_acl(Bucket=b, Key="o", AccessControlPolicy=policy)),
        ("get object", c.get_object_acl(Bucket=b, Key="o")),
    ]


@scenario
def delete_bucket(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    other = f"{b.split('-')[0]}x-{APPID}"
    c.create_bucket(Bucket=other)
    c.put_object(Bucket=other, Key="k", Body=b"")
    full = _error(lambda: c.delete_bucket(Bucket=other))
    c.delete_object(Bucket=other, Key="k")
    return [("not empty", full), ("deleted", c.delete_bucket(Bucket=other)),
            ("gone", c.bucket_exists(Bucket=other))]  # fmt: skip


def sse_cos(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    """SSE-COS on PUT, HEAD, GET, copy and multipart (issue 16 item 6)."""
    sse = {"ServerSideEncryption": "AES256"}
    put = c.put_object(Bucket=b, Key="enc", Body=b"secret", **sse)
    got = c.get_object(Bucket=b, Key="enc")
    copied = c.copy_object(Bucket=b, Key="enc2", CopySource={"Bucket": b, "Key": "enc",
                           "Region": REGION}, **sse)  # fmt: skip
    init = c.create_multipart_upload(Bucket=b, Key="encm", **sse)
    return [("put", put), ("head", head(c, b, "enc")), ("get", got), ("copy", copied),
            ("init", init), ("head copy", head(c, b, "enc2"))]  # fmt: skip


@scenario
def list_buckets(c: Any, b: str, tmp: Path) -> list[tuple[str, Any]]:
    listing = c.list_buckets()
    mine = [x for x in listing["Buckets"]["Bucket"] if x["Name"] == b]
    return [("keys", sorted(listing)), ("bucket", mine), ("owner", listing["Owner"])]


def _error(fn: Callable[[], Any]) -> tuple[int, str]:
    try:
        fn()
    except Exception as exc:  # either client's CosServiceError
        return exc.get_status_code(), exc.get_error_code()  # type: ignore[attr-defined]
    raise AssertionError("expected an error")


_pairs = itertools.count(1)


def same_length_name(who: str) -> str:
    """Both buckets' names have one length, so lengths of bodies naming them compare equal."""
    return f"pq{who[:3]}{next(_pairs):05d}-{APPID}"


def run_both(
    server: CoslocalServer, tmp: Path, fn: Callable[[Any, str], list[tuple[str, Any]]]
) -> None:
    results = []
    for name, make in (("ours", ours_dns), ("sdk", sdk_dns)):
        bucket = same_length_name(name)
        client = make(server)
        client.create_bucket(Bucket=bucket)
        (tmp / name).mkdir()
        results.append((bucket, fn(client, bucket) if fn.__code__.co_argcount == 2 else None))
    (ours_bucket, ours), (sdk_bucket, theirs) = results
    assert [label for label, _ in ours] == [label for label, _ in theirs]  # type: ignore[union-attr]
    for (label, mine), (_, official) in zip(ours, theirs, strict=True):  # type: ignore[arg-type]
        assert normalise(mine, ours_bucket) == normalise(official, sdk_bucket), label


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_method_parity(cos_server: CoslocalServer, tmp_path: Path, name: str) -> None:
    run_both(cos_server, tmp_path, lambda c, b: SCENARIOS[name](c, b, tmp_path / _who(c)))


def test_sse_cos_parity(cos_server: CoslocalServer, tmp_path: Path) -> None:
    def encrypted(c: Any, b: str) -> list[tuple[str, Any]]:
        out = sse_cos(c, b, tmp_path)
        flags = [dict(v).get("x-cos-server-side-encryption") for k, v in out if k != "init"]
        assert flags == ["AES256"] * 5, flags  # COS answers with the header every time
        return out

    run_both(cos_server, tmp_path, encrypted)


@pytest.mark.parametrize("fn", [get_presigned_url, get_presigned_download_url, get_auth])
def test_signing_parity(cos_server: CoslocalServer, tmp_path: Path, fn: Any) -> None:
    run_both(cos_server, tmp_path, lambda c, b: fn(c, b, cos_server))


def _who(c: Any) -> str:
    return "ours" if type(c).__module__.startswith("objects_app") else "sdk"


def test_generate_built_in_connection_pool_parity(cos_server: CoslocalServer) -> None:
    shapes = []
    for client in (ours_dns(cos_server), sdk_dns(cos_server)):
        session = client.generate_built_in_connection_pool(3, 7)
        adapters: list[Any] = [session.get_adapter(f"{s}://x") for s in ("http", "https")]
        shapes.append([(type(session).__name__, a._pool_connections, a._pool_maxsize)
                       for a in adapters])  # fmt: skip
    assert shapes[0] == shapes[1] == [("Session", 3, 7), ("Session", 3, 7)]


def test_retry_count_parity(cos_server: CoslocalServer, faults: CoslocalServer) -> None:
    counts = []
    for client in (ours_dns(cos_server, retry=1), sdk_dns(cos_server, retry=1)):
        bucket = new_bucket_name("retry")
        client.create_bucket(Bucket=bucket)
        faults.set_faults(mode="error", status=503, code="SlowDown", count=1, method="PUT")
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
        counts.append(client.get_retry_exe_times())
    assert counts == [1, 1]


def test_head_error_digest_parity(cos_server: CoslocalServer) -> None:
    digests = []
    for make in (ours_dns, sdk_dns):
        owner, anonymous = make(cos_server), make(cos_server, Anonymous=True)
        bucket = new_bucket_name("dg")
        owner.create_bucket(Bucket=bucket)
        owner.put_object(Bucket=bucket, Key="private", Body=b"p")
        found = []
        for client, key in ((owner, "missing"), (anonymous, "private")):
            with pytest.raises(Exception) as info:
                client.head_object(Bucket=bucket, Key=key)
            digest = info.value.get_digest_msg()  # type: ignore[attr-defined]
            # Content-Length varies with the bucket name the error body repeats.
            stable = {k: digest[k] for k in sorted(digest) if k not in ("Date", "Content-Length")}
            found.append((info.value.get_status_code(), type(digest).__name__,  # type: ignore[attr-defined]
                          normalise(stable, bucket),
                          "x-cos-request-id" in digest or "requestid" in digest))  # fmt: skip
        digests.append(found)
    assert digests[0] == digests[1]
    assert [d[0] for d in digests[0]] == [404, 403] and all(d[3] for d in digests[0])


class Rotating:
    """Credentials that change between requests, as an STS-backed credential object does."""

    def __init__(self, secret_key: str) -> None:
        self.secret_id, self.secret_key, self.token = SECRET_ID, secret_key, None
        self.reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "secret_key":
            object.__setattr__(self, "reads", object.__getattribute__(self, "reads") + 1)
        return object.__getattribute__(self, name)


def test_credential_instance_parity(cos_server: CoslocalServer) -> None:
    outcomes = []
    for make in (ours_dns, sdk_dns):
        creds = Rotating("wrong-key")
        client = make(cos_server, CredentialInstance=creds)
        bucket = new_bucket_name("ci")
        make(cos_server).create_bucket(Bucket=bucket)
        refused = _error(lambda: client.head_bucket(Bucket=bucket))  # noqa: B023
        creds.secret_key = SECRET_KEY  # refreshed: the next request must use it
        client.put_object(Bucket=bucket, Key="k", Body=b"v")
        outcomes.append((refused[0], client.object_exists(Bucket=bucket, Key="k"), creds.reads))
    assert outcomes[0][:2] == outcomes[1][:2] == (403, True)
    assert outcomes[0][2] >= 3 and outcomes[1][2] >= 3  # read again for every request


def test_upload_file_from_buffer_bounds_memory_and_aborts_on_failure(
    cos_server: CoslocalServer, faults: CoslocalServer
) -> None:
    client = ours_dns(cos_server, retry=0)
    bucket = new_bucket_name("buf")
    client.create_bucket(Bucket=bucket)
    reads: list[int] = []

    class Pipe(io.RawIOBase):  # returns at most 100 KB per read, like a pipe
        def __init__(self) -> None:
            self.left = 6 * MB

        def read(self, n: int = -1) -> bytes:
            size = min(n, self.left, 100 * 1024)
            self.left -= size
            reads.append(size)
            return os.urandom(size)

    faults.set_faults(mode="error", status=400, code="InvalidArgument", count=1,
                      query_contains="partNumber=3")  # fmt: skip
    with pytest.raises(Exception) as info:
        client.upload_file_from_buffer(Bucket=bucket, Key="pipe", Body=Pipe(), PartSize=1,
                                       MAXThread=1, MaxBufferSize=1)  # fmt: skip
    assert info.value.get_error_code() == "InvalidArgument"  # type: ignore[attr-defined]
    assert list(client.iter_multipart_uploads(Bucket=bucket)) == []  # aborted, nothing billed
    assert sum(reads) < 6 * MB  # stopped reading once a part failed
    ok = client.upload_file_from_buffer(Bucket=bucket, Key="pipe", Body=Pipe(), PartSize=1)
    assert ok["ETag"].endswith('-6"')  # whole 1 MB parts although each read was short
