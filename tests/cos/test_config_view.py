"""CosConfig's public, read-only settings view, and the client's flat layout."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from objects_app.cos import CosConfig, CosS3Client
from objects_app.cos.config import CosSettings, Credentials
from objects_app.cos.core import CoreInterface, RequestCore
from objects_app.cos.transfer import TransferBase

COS_DIR = Path(__file__).resolve().parents[2] / "objects_app" / "cos"


def test_settings_is_a_typed_frozen_view() -> None:
    conf = CosConfig(
        Region="ap-guangzhou", Appid="1250000000", SecretId="id", SecretKey="SECRET",
        Token="tok", Scheme="http", IP="127.0.0.1", Port=9000, Timeout=7,
        Proxies={"http": "http://proxy:3128"}, MaxRetries=5,
    )  # fmt: skip
    settings = conf.settings
    assert isinstance(settings, CosSettings)
    assert (settings.region, settings.appid, settings.scheme) == (
        "ap-guangzhou",
        "1250000000",
        "http",
    )
    assert (settings.endpoint, settings.ip, settings.port) == (
        "cos.ap-guangzhou.myqcloud.com", "127.0.0.1", 9000,
    )  # fmt: skip
    assert (settings.timeout, settings.max_retries, settings.request_timeout()) == (7, 5, 7)
    assert settings.copy_part_threshold_size == 5 * 1024**3
    assert settings.auto_switch_domain_on_retry is False
    assert settings.credentials() == Credentials("id", "SECRET", "tok")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.region = "ap-beijing"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.proxies["http"] = "elsewhere"  # type: ignore[index]
    assert "SECRET" not in repr(settings) and "tok" not in repr(settings)


def test_settings_follow_every_change_and_are_reused_otherwise() -> None:
    conf = CosConfig(Region="ap-guangzhou", SecretId="id", SecretKey="key")
    first = conf.settings
    assert conf.settings is first
    conf.set_ip_port("10.0.0.1", 8080)
    conf.set_copy_part_threshold_size(1024)
    conf.set_credential("id2", "key2", "token2")
    now = conf.settings
    assert (now.ip, now.port, now.copy_part_threshold_size) == ("10.0.0.1", 8080, 1024)
    assert now.credentials() == Credentials("id2", "key2", "token2")
    assert (first.ip, first.copy_part_threshold_size) == (None, 5 * 1024**3)  # a snapshot


def test_anonymous_settings_have_no_credentials() -> None:
    conf = CosConfig(Region="ap-guangzhou", Anonymous=True)
    assert conf.settings.anonymous and conf.settings.credentials() is None


def test_no_module_reads_cosconfig_private_attributes() -> None:
    """Only config.py may touch CosConfig's private attributes (``conf._x``, ``_conf._x``)."""
    offenders = []
    for path in sorted(COS_DIR.parent.rglob("*.py")):
        if path == COS_DIR / "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")):
                continue
            target = node.value
            name = getattr(target, "attr", None) or getattr(target, "id", None)
            if name in ("conf", "_conf", "config") and not node.attr.startswith("__"):
                offenders.append(f"{path.name}:{node.lineno} {name}.{node.attr}")
    assert offenders == []


def test_operation_groups_sit_side_by_side_on_the_core_interface() -> None:
    groups = [c for c in CosS3Client.__mro__[1:] if c.__name__.endswith("Ops")]
    assert len(groups) >= 8
    for group in groups:
        assert group.__bases__ in ((CoreInterface,), (TransferBase,)), group
    assert CosS3Client.__bases__[0] is RequestCore
    assert TransferBase.__bases__ == (CoreInterface,)


@pytest.mark.parametrize(
    "creds",
    [
        {"SecretId": "a", "SecretKey": "b"},
        {"Secret_id": "a", "Secret_key": "b"},
        {"Access_id": "a", "Access_key": "b"},
    ],
)
def test_sdk_config_spellings_and_hosts(creds: dict[str, str]) -> None:
    from qcloud_cos import CosConfig as SdkConfig

    conf = {"Region": "cosgz", "Appid": "1250000000", **creds}
    ours, sdk = CosConfig(**conf), SdkConfig(**conf)  # type: ignore[arg-type]
    assert ours.credentials() == Credentials("a", "b", None)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("demo", "k"), {}),
        (("demo", "k"), {"endpoint": "cos.accelerate.myqcloud.com"}),
        (("demo", "k"), {"domain": "files.example.com"}),
        ((None, "k"), {"useAppid": True}),
        (("demo",), {"endpoint": sdk._endpoint_ci}),
    ]
    for args, kwargs in calls:
        assert ours.uri(*args, **kwargs) == sdk.uri(*args, **kwargs)
    assert ours.get_host(Appid="1250000000") == sdk.get_host(Appid="1250000000")
    assert ours.settings.endpoint_ci == sdk._endpoint_ci == "ci.ap-guangzhou.myqcloud.com"


def test_ci_endpoint_urls_match_the_sdk() -> None:
    from qcloud_cos import CosConfig as SdkConfig
    from qcloud_cos import CosS3Client as SdkClient

    conf = {"Region": "ap-beijing", "SecretId": "a", "SecretKey": "b"}
    ours = CosS3Client(CosConfig(**conf))  # type: ignore[arg-type]
    sdk = SdkClient(SdkConfig(**conf))
    for client in (ours, sdk):
        url = client.get_presigned_download_url(Bucket="demo-1250000000", Key="p.jpg",
                                                UseCiEndPoint=True)  # fmt: skip
        assert url.startswith("https://demo-1250000000.ci.ap-beijing.myqcloud.com/p.jpg?")
    with mock.patch("time.time", return_value=1_700_000_000):  # one signing time for both
        mine = ours.get_auth("GET", "demo-1250000000", "p.jpg", UseCiEndPoint=True)
        theirs = sdk.get_auth("GET", "demo-1250000000", "p.jpg", UseCiEndPoint=True)
        plain = ours.get_auth("GET", "demo-1250000000", "p.jpg")
    assert mine == theirs and mine != plain  # the CI host is what was signed
