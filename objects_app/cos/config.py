"""``CosConfig``: where to connect, how to authenticate, timeouts and retry policy.

Other modules read the configuration only through ``conf.settings`` (a frozen ``CosSettings``)
and ``conf.credentials()``; the private attributes below are ``CosConfig``'s own business.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

import requests

from .errors import CosClientError

GB = 1024**3
SINGLE_UPLOAD_LENGTH = 5 * GB  # PUT Object and PUT Object - Copy limit (protocol notes §2.4)

_REGION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]$")
_BUCKET_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?$")
_OLD_REGIONS = frozenset({"cn-north", "cn-south", "cn-east", "cn-south-2", "cn-southwest", "sg"})
_REGION_ALIASES = {
    "cossh": "ap-shanghai",
    "cosgz": "ap-guangzhou",
    "cosbj": "ap-beijing",
    "costj": "ap-beijing-1",
    "coscd": "ap-chengdu",
    "cossgp": "ap-singapore",
    "coshk": "ap-hongkong",
    "cosca": "na-toronto",
    "cosger": "eu-frankfurt",
}


def format_region(region: str, enable_old_domain: bool = True, internal: bool = True) -> str:
    """``ap-guangzhou`` -> ``cos.ap-guangzhou`` (aliases and legacy regions as the SDK)."""
    if not isinstance(region, str) or not _REGION_RE.match(region):
        raise CosClientError("region format is illegal, only digit, letter and - is allowed!")
    if "cos." in region or region in _OLD_REGIONS:
        return region
    module = "cos-internal." if (not enable_old_domain and internal) else "cos."
    return module + _REGION_ALIASES.get(region, region)


def format_endpoint(
    endpoint: str | None, region: str | None, enable_old_domain: bool = True, internal: bool = True
) -> str:
    if endpoint:
        return endpoint
    if not region:
        raise CosClientError("Region or Endpoint is required not empty!")
    suffix = "myqcloud.com" if enable_old_domain else "tencentcos.cn"
    return f"{format_region(region, enable_old_domain, internal)}.{suffix}"


def format_bucket(bucket: Any, appid: str | None) -> str:
    """Validate a bucket name and append ``-<appid>`` when configured and missing."""
    if not isinstance(bucket, str) or not bucket:
        raise CosClientError("bucket is required not empty")
    if not _BUCKET_RE.match(bucket):
        raise CosClientError(f"bucket format is illegal: {bucket!r}")
    if appid and not bucket.endswith("-" + appid):
        return f"{bucket}-{appid}"
    return bucket


def quote_key_path(key: str) -> str:
    """URL path of a key: encode all but ``/-_.~`` and stop dot-segment collapsing (``./``)."""
    path = key[1:] if key.startswith("/") else key
    return quote(path.encode("utf-8"), safe="/-_.~").replace("./", ".%2F")


class Credentials(NamedTuple):
    """One consistent set of credentials: a request is signed and sent with exactly these."""

    secret_id: str
    secret_key: str
    token: str | None = None


class CredentialSource(Protocol):
    """What ``CosConfig(CredentialInstance=...)`` takes (the SDK's duck type): three attributes,
    read again for every request, so credentials that refresh themselves (STS, CVM roles) work.
    """

    @property
    def secret_id(self) -> str | None: ...

    @property
    def secret_key(self) -> str | None: ...

    @property
    def token(self) -> str | None: ...


@dataclass(frozen=True)
class CosSettings:
    """A read-only, typed view of a ``CosConfig`` (``conf.settings``).

    A snapshot: setters on the config (``set_ip_port`` ...) give a new one. Credentials are not
    in it, only ``credentials``, the accessor to call for each request.
    """

    region: str | None
    appid: str | None
    scheme: str
    endpoint: str | None  # None when a custom Domain is used
    endpoint_ci: str | None
    domain: str | None
    service_domain: str | None
    enable_old_domain: bool
    enable_internal_domain: bool
    auto_switch_domain_on_retry: bool
    ip: str | None
    port: int | str | None
    anonymous: bool
    ua: str | None
    proxies: Mapping[str, str] | None
    keep_alive: bool
    pool_connections: int
    pool_maxsize: int
    allow_redirects: bool
    sign_host: bool
    sign_params: bool
    verify_ssl: bool | str | None
    ssl_cert: str | tuple[str, str] | None
    timeout: float | None
    connect_timeout: float
    read_timeout: float
    max_retries: int
    retry_backoff: float
    retry_backoff_max: float
    copy_part_threshold_size: int
    session: requests.Session | None = field(repr=False, compare=False)
    credentials: Callable[[], Credentials | None] = field(repr=False, compare=False)

    def request_timeout(self, long: bool = False) -> float | tuple[float, float]:
        """``Timeout`` if set, else (connect, read); ``long`` calls (Complete, Copy) read 1200 s."""
        if self.timeout is not None:
            return self.timeout
        return (self.connect_timeout, 1200.0 if long else self.read_timeout)


class CosConfig:
    """Client configuration, keyword-compatible with ``qcloud_cos.CosConfig``.

    ``CredentialInstance``: an object with ``secret_id``, ``secret_key`` and ``token``
    attributes, read for every request (unlike SDK 1.9.44, its token is sent too, as STS
    credentials need). ``AutoSwitchDomainOnRetry``: retry on ``<bucket>.cos.<region>
    .tencentcos.cn`` (protocol notes §2.1).

    Extra keywords (ours): ``ConnectTimeout``/``ReadTimeout`` (seconds, used when ``Timeout`` is
    not set), ``MaxRetries`` (default 3), ``RetryBackoff`` (base delay, default 0.2 s),
    ``RetryBackoffMax`` (cap, default 5 s) and ``Session`` (an injected ``requests.Session``).
    """

    def __init__(
        self,
        Appid: str | None = None,
        Region: str | None = None,
        SecretId: str | None = None,
        SecretKey: str | None = None,
        Token: str | None = None,
        CredentialInstance: CredentialSource | None = None,
        Scheme: str | None = None,
        Timeout: float | None = None,
        Access_id: str | None = None,
        Access_key: str | None = None,
        Secret_id: str | None = None,
        Secret_key: str | None = None,
        Endpoint: str | None = None,
        IP: str | None = None,
        Port: int | str | None = None,
        Anonymous: bool | None = None,
        UA: str | None = None,
        Proxies: dict[str, str] | None = None,
        Domain: str | None = None,
        ServiceDomain: str | None = None,
        KeepAlive: bool = True,
        PoolConnections: int = 10,
        PoolMaxSize: int = 10,
        AllowRedirects: bool = False,
        SignHost: bool = True,
        EndpointCi: str | None = None,
        EndpointPic: str | None = None,
        EnableOldDomain: bool = True,
        EnableInternalDomain: bool = True,
        SignParams: bool = True,
        AutoSwitchDomainOnRetry: bool = False,
        VerifySSL: bool | str | None = None,
        SSLCert: str | tuple[str, str] | None = None,
        ConnectTimeout: float = 10.0,
        ReadTimeout: float = 60.0,
        MaxRetries: int = 3,
        RetryBackoff: float = 0.2,
        RetryBackoffMax: float = 5.0,
        Session: requests.Session | None = None,
    ) -> None:
        scheme = Scheme or "https"
        if scheme not in ("http", "https"):
            raise CosClientError("Scheme can be only set to http/https")
        self._appid = Appid
        self._region = Region
        self._token = Token
        self._scheme = scheme
        self._timeout = Timeout
        self._connect_timeout = ConnectTimeout
        self._read_timeout = ReadTimeout
        self._domain = Domain
        self._service_domain = ServiceDomain
        self._enable_old_domain = EnableOldDomain
        self._enable_internal_domain = EnableInternalDomain
        self._auto_switch_domain_on_retry = AutoSwitchDomainOnRetry
        self._endpoint = (
            None
            if Domain is not None
            else format_endpoint(Endpoint, Region, EnableOldDomain, EnableInternalDomain)
        )
        # CI (data processing) hosts; like the SDK: no custom domain, always myqcloud.com.
        self._endpoint_ci = _ci_endpoint(EndpointCi, Region, "ci.")
        self._endpoint_pic = _ci_endpoint(EndpointCi, Region, "pic.")
        self._ip = IP
        self._port = Port
        self._anonymous = bool(Anonymous)
        self._ua = UA
        self._proxies = Proxies
        self._keep_alive = KeepAlive
        self._pool_connections = PoolConnections
        self._pool_maxsize = PoolMaxSize
        self._allow_redirects = AllowRedirects
        self._sign_host = SignHost
        self._sign_params = SignParams
        self._verify_ssl = VerifySSL
        self._ssl_cert = SSLCert
        self._max_retries = MaxRetries
        self._retry_backoff = RetryBackoff
        self._retry_backoff_max = RetryBackoffMax
        self._session = Session
        self._copy_part_threshold_size = SINGLE_UPLOAD_LENGTH
        self._secret_id: str | None = None
        self._secret_key: str | None = None
        self._credential_inst: CredentialSource | None = None
        # (SecretId, SecretKey), or the SDK's older spellings (Secret_id, Access_id ...).
        pairs = ((SecretId, SecretKey), (Secret_id, Secret_key), (Access_id, Access_key))
        secret = next(((i, k) for i, k in pairs if i and k), None)
        if secret is not None:
            self.set_credential(secret[0], secret[1], Token)
        elif CredentialInstance is not None and _is_credential_source(CredentialInstance):
            self._credential_inst = CredentialInstance
        elif not self._anonymous:
            raise CosClientError("SecretId and SecretKey is Required!")

    def __setattr__(self, name: str, value: Any) -> None:
        # Any change (a setter, or a test patching an attribute) invalidates the settings view.
        super().__setattr__(name, value)
        if name != "_settings_cache":
            super().__setattr__("_settings_cache", None)

    def __repr__(self) -> str:  # never show credentials
        return f"CosConfig(region={self._region!r}, endpoint={self._endpoint!r}, ip={self._ip!r})"

    @property
    def settings(self) -> CosSettings:
        """The configuration as a frozen, typed ``CosSettings`` (rebuilt after any change)."""
        cached: CosSettings | None = self.__dict__.get("_settings_cache")
        if cached is None:
            cached = self._build_settings()
            self._settings_cache = cached
        return cached

    def _build_settings(self) -> CosSettings:
        proxies = MappingProxyType(dict(self._proxies)) if self._proxies is not None else None
        return CosSettings(
            region=self._region, appid=self._appid, scheme=self._scheme,
            endpoint=self._endpoint, endpoint_ci=self._endpoint_ci,
            domain=self._domain, service_domain=self._service_domain,
            enable_old_domain=self._enable_old_domain,
            enable_internal_domain=self._enable_internal_domain,
            auto_switch_domain_on_retry=self._auto_switch_domain_on_retry,
            ip=self._ip, port=self._port, anonymous=self._anonymous, ua=self._ua,
            proxies=proxies, keep_alive=self._keep_alive,
            pool_connections=self._pool_connections, pool_maxsize=self._pool_maxsize,
            allow_redirects=self._allow_redirects, sign_host=self._sign_host,
            sign_params=self._sign_params, verify_ssl=self._verify_ssl, ssl_cert=self._ssl_cert,
            timeout=self._timeout, connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout, max_retries=self._max_retries,
            retry_backoff=self._retry_backoff, retry_backoff_max=self._retry_backoff_max,
            copy_part_threshold_size=self._copy_part_threshold_size,
            session=self._session, credentials=self.credentials,
        )  # fmt: skip

    def set_credential(self, SecretId: str, SecretKey: str, Token: str | None = None) -> None:
        """Replace the credentials (e.g. after refreshing an STS token)."""
        secret_id, secret_key = map(self.convert_secret_value, (SecretId, SecretKey))
        self._secret_id, self._secret_key, self._token = secret_id, secret_key, Token

    def convert_secret_value(self, value: str) -> str:
        """A secret as given; one with leading or trailing spaces is refused (as the SDK)."""
        if value != value.strip():
            raise CosClientError("secret_id/secret_key must not start or end with spaces")
        return value

    def set_ip_port(self, IP: str, Port: int | str | None = None) -> None:
        """Connect to ``IP:Port`` while the Host header keeps the bucket's COS domain."""
        self._ip, self._port = IP, Port

    def set_copy_part_threshold_size(self, size: int) -> None:
        """Objects larger than this are copied with multipart Upload Part - Copy."""
        if size > 0:
            self._copy_part_threshold_size = size

    def credentials(self) -> Credentials | None:
        """The credentials to sign the next request with (None: anonymous).

        With a ``CredentialInstance`` they are read from it now, so a refresh is picked up.
        """
        if self._anonymous:
            return None
        if self._secret_id and self._secret_key:
            return Credentials(self._secret_id, self._secret_key, self._token)
        source = self._credential_inst
        if source is None:
            return None
        secret_id, secret_key, token = source.secret_id, source.secret_key, source.token
        if not secret_id or not secret_key:
            raise CosClientError("CredentialInstance has no secret_id/secret_key")
        secret_id, secret_key = map(self.convert_secret_value, (secret_id, secret_key))
        return Credentials(secret_id, secret_key, token or self._token)

    def get_host(self, Bucket: str | None = None, Appid: str | None = None) -> str:
        """Host name of a bucket (``<bucket>.<endpoint>``), or the custom Domain."""
        if self._domain is not None:
            return self._domain
        if Bucket is not None:
            return f"{format_bucket(Bucket, self._appid)}.{self._endpoint}"
        if Appid is not None:
            return f"{Appid}.{self._endpoint}"
        return str(self._endpoint)

    def service_host(self) -> str:
        if self._service_domain:
            return self._service_domain
        return (
            "service.cos.myqcloud.com" if self._enable_old_domain else "service.cos.tencentcos.cn"
        )

    def _netloc(self, host: str) -> str:
        """Where to connect: ``IP[:Port]`` when set, else the host itself."""
        if self._ip is None:
            return host
        return f"{self._ip}:{self._port}" if self._port is not None else self._ip

    def uri(
        self,
        bucket: str | None = None,
        path: str | None = None,
        endpoint: str | None = None,
        domain: str | None = None,
        useAppid: bool = False,
    ) -> str:
        """Request URL (no query) for a bucket and optional key.

        ``endpoint``/``domain`` override the configured ones (the SDK's signature); with
        neither a bucket nor ``useAppid``, the host is the service host.
        """
        host = self._uri_host(bucket, endpoint, domain, useAppid)
        base = f"{self._scheme}://{self._netloc(host)}/"
        if path is None:
            return base
        if not path:
            raise CosClientError("Key is required not empty")
        return base + quote_key_path(path)

    def _uri_host(
        self, bucket: str | None, endpoint: str | None, domain: str | None, use_appid: bool
    ) -> str:
        domain = domain if domain is not None else self._domain
        if domain is not None:
            return domain
        endpoint = endpoint or self._endpoint
        if bucket is not None:
            return f"{format_bucket(bucket, self._appid)}.{endpoint}"
        if use_appid:
            return f"{self._appid}.{endpoint}"
        return self.service_host()

    def timeout(self, long: bool = False) -> float | tuple[float, float]:
        return self.settings.request_timeout(long)


def with_endpoint(conf: CosConfig, endpoint: str) -> CosConfig:
    """A copy of ``conf`` that talks to another endpoint (e.g. a copy source's region)."""
    other = copy.copy(conf)
    other._endpoint = endpoint
    return other


def _ci_endpoint(endpoint: str | None, region: str | None, module: str) -> str | None:
    if endpoint:
        return endpoint
    if not region:
        return None
    if module in region or region in _OLD_REGIONS:
        return f"{region}.myqcloud.com"
    return f"{module}{_REGION_ALIASES.get(region, region)}.myqcloud.com"


def _is_credential_source(value: Any) -> bool:
    return all(hasattr(value, name) for name in ("secret_id", "secret_key", "token"))
