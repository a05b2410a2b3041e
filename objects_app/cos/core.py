"""The request core: URL building, signing, retries and error mapping (one place for all).

``CoreInterface`` is all an operation group (``objects.py``, ``buckets.py`` ...) may rely on:
the config and its settings view, the retry count, and ``_request``. ``RequestCore`` implements
it; ``CosS3Client`` composes the core and the groups side by side.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.hooks import default_hooks
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import get_environ_proxies

from .auth import CosSigner, cos_quote
from .config import CosConfig, CosSettings, format_bucket
from .errors import CosClientError, CosConnectionError, CosServiceError, is_retryable
from .xml import error_fields

logger = logging.getLogger(__name__)

USER_AGENT = "cos-console-client/1.0"
_HEAD_CODES = {
    304: "NotModified",
    400: "BadRequest",
    403: "AccessDenied",
    404: "NoSuchResource",  # the SDK's name for a bodiless 404
    409: "Conflict",
    412: "PreconditionFailed",
    416: "InvalidRange",
}
_REDIRECTS = (301, 302, 307)
# Only virtual-hosted myqcloud.com bucket hosts switch domains (the SDK's pattern, §2.1).
_SWITCHABLE_HOST = re.compile(
    r"^([a-z0-9-]+-[0-9]+\.)(cos\.[a-z]+-[a-z]+(-[a-z]+)?(-1)?)\.(myqcloud\.com)$"
)

Body = bytes | str | IO[bytes] | None


class Session(requests.Session):  # named as the SDK's (type(session).__name__ parity)
    """requests reads the proxy environment on every request (each variable, twice, plus a
    no_proxy match): a third of the client's CPU on a small request. The environment's
    proxies are read once per scheme and host here; the environment is the process's start-up
    configuration, so a change to it later is not seen by an existing client."""

    def __init__(self) -> None:
        super().__init__()
        self._env_proxies: dict[tuple[str, str, str | None], dict[str, str]] = {}

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Any = None,
        hooks: Any = None,
        stream: Any = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        """requests' Session.request, minus what the COS client never uses.

        The client sends signed requests to a URL it encoded itself, with no cookies, query
        mapping, files, hooks or redirects to follow; for such a request, merging the cookie
        jars, hooks and settings (runtime protocol checks on every value) cost about a third
        of the client's CPU per small request. Anything else takes requests' own path."""
        if (
            params or cookies or files or json is not None or hooks or allow_redirects
            or auth is None or self.auth is not None or self.params or len(self.cookies)
            or any(self.hooks.values())
        ):  # fmt: skip
            return super().request(
                method, url, params=params, data=data, headers=headers, cookies=cookies,
                files=files, auth=auth, timeout=timeout, allow_redirects=allow_redirects,
                proxies=proxies, hooks=hooks, stream=stream, verify=verify, cert=cert, json=json,
            )  # fmt: skip
        merged: CaseInsensitiveDict[Any] = CaseInsensitiveDict(self.headers)
        merged.update(headers or {})
        prep = PreparedRequest()
        prep.prepare_method(method)
        prep.prepare_url(url, None)
        prep.prepare_headers({k: v for k, v in merged.items() if v is not None})
        prep.prepare_body(data, None, None)
        prep.prepare_auth(auth, url)
        prep.hooks = default_hooks()
        settings = self.merge_environment_settings(prep.url, proxies or {}, stream, verify, cert)
        return self._send_plain(prep, timeout, settings)

    def _send_plain(
        self, prep: PreparedRequest, timeout: Any, settings: dict[str, Any]
    ) -> requests.Response:
        """Session.send without following redirects (allow_redirects=False)."""
        adapter = self.get_adapter(url=str(prep.url))
        started = time.perf_counter()
        resp = adapter.send(prep, timeout=timeout, **settings)
        resp.elapsed = timedelta(seconds=time.perf_counter() - started)
        if "set-cookie" in resp.headers:
            extract_cookies_to_jar(self.cookies, prep, resp.raw)  # type: ignore[no-untyped-call]
        if resp.is_redirect:  # Response.next, as requests sets it
            prep._cookies = RequestsCookieJar()  # type: ignore[attr-defined]  # as prepare() does
            redirects = self.resolve_redirects(
                resp, prep, yield_requests=True, timeout=timeout, **settings
            )
            resp._next = next(redirects, None)  # type: ignore[attr-defined]
        if not settings["stream"]:
            resp.content  # noqa: B018 (reads the body, as Session.send does)
        return resp

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        parts = urlsplit(url)
        cache_key = (parts.scheme, parts.netloc, no_proxy)
        found = self._env_proxies.get(cache_key)
        if found is None:
            found = self._env_proxies[cache_key] = dict(get_environ_proxies(url, no_proxy=no_proxy))
        merged = dict(proxies) if proxies is not None else {}
        for name, value in found.items():
            merged.setdefault(name, value)
        # A CA bundle only matters for https; on http, requests would still stat it per request.
        if (verify is True or verify is None) and parts.scheme != "http":
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            verify = bundle or verify
        # The rest as requests merges it (Session.merge_environment_settings).
        return {
            "proxies": _merge_setting(merged, self.proxies),
            "stream": _merge_setting(stream, self.stream),
            "verify": _merge_setting(verify, self.verify),
            "cert": _merge_setting(cert, self.cert),
        }


def _merge_setting(request: Any, session: Any) -> Any:
    """requests' merge_setting: the request's value wins; two mappings merge, and a key the
    request sets to None is dropped."""
    if session is None:
        return request
    if request is None:
        return session
    if not (isinstance(request, Mapping) and isinstance(session, Mapping)):
        return request
    merged = {**session, **request}
    return {k: v for k, v in merged.items() if v is not None}


class _Rewind:
    """Remembers where a file-like body started so a retry resends all of it."""

    def __init__(self, data: Any) -> None:
        self.position: int | None = None
        self.data: Any = data.encode("utf-8") if isinstance(data, str) else data
        if hasattr(self.data, "seek") and hasattr(self.data, "tell"):
            try:
                self.position = self.data.tell()
            except OSError:
                self.position = None

    @property
    def retryable(self) -> bool:
        return self.data is None or isinstance(self.data, bytes) or self.position is not None

    def rewind(self) -> None:
        if self.position is not None:
            self.data.seek(self.position)


def encode_query(params: Mapping[str, str]) -> str:
    """``k=v&k2=`` with COS encoding (``%20``, never ``+``); empty values keep their ``=``."""
    return "&".join(f"{cos_quote(k)}={cos_quote(v)}" for k, v in params.items())


def _header_value(value: str) -> str | bytes:
    # http.client sends str headers as latin-1; non-latin-1 metadata goes as UTF-8 bytes (SDK).
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
    return value


def switch_domain(url: str) -> str:
    """``<bucket>.cos.<region>.myqcloud.com`` -> ``...tencentcos.cn`` (other URLs unchanged)."""
    host = urlsplit(url).hostname or ""
    if not _SWITCHABLE_HOST.match(host):
        return url
    return url.replace(host, host[: -len("myqcloud.com")] + "tencentcos.cn", 1)


class CoreInterface:
    """The small interface every operation group depends on (nothing else of the client)."""

    _conf: CosConfig
    _retry: int

    @property
    def _settings(self) -> CosSettings:
        return self._conf.settings

    if TYPE_CHECKING:

        def _request(
            self,
            method: str,
            *,
            bucket: str | None = None,
            key: str | None = None,
            params: Mapping[str, str] | None = None,
            headers: Mapping[str, str] | None = None,
            data: Any = None,
            stream: bool = False,
            long: bool = False,
            check_body_error: bool = False,
        ) -> requests.Response: ...

        def _for_conf(self, conf: CosConfig) -> Self: ...


class RequestCore(CoreInterface):
    """Holds the session and implements ``_request`` (send, sign, retry, classify)."""

    def __init__(
        self, conf: CosConfig, retry: int | None = None, session: requests.Session | None = None
    ) -> None:
        self._conf = conf
        self._retry = conf.settings.max_retries if retry is None else retry
        self._injected_session = session or conf.settings.session
        self._session_pid = -1
        self._session_obj: requests.Session | None = None
        self._lock = threading.Lock()
        self._retry_exe_times = 0

    def get_conf(self) -> CosConfig:
        return self._conf

    def _for_conf(self, conf: CosConfig) -> Self:
        """A client like this one (retries, session) for another configuration."""
        return type(self)(conf, retry=self._retry, session=self._session)

    def get_retry_exe_times(self) -> int:
        """How many retries this client has sent so far (SDK-compatible)."""
        return self._retry_exe_times

    def inc_retry_exe_times(self) -> None:
        with self._lock:
            self._retry_exe_times += 1

    # --- session -----------------------------------------------------------------------------
    def generate_built_in_connection_pool(
        self, PoolConnections: int, PoolMaxSize: int
    ) -> requests.Session:
        """A new ``requests.Session`` with pooled adapters for http and https (as the SDK).

        Retries are the client's (re-signed, with backoff), so the adapters never retry.
        """
        session = Session()
        adapter = HTTPAdapter(
            pool_connections=PoolConnections, pool_maxsize=PoolMaxSize, max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    @property
    def _session(self) -> requests.Session:
        if self._injected_session is not None:
            return self._injected_session
        # Pools must not cross a fork: rebuild the session in a new process.
        if self._session_obj is None or self._session_pid != os.getpid():
            with self._lock:
                if self._session_obj is None or self._session_pid != os.getpid():
                    settings = self._settings
                    self._session_obj = self.generate_built_in_connection_pool(
                        settings.pool_connections, max(settings.pool_maxsize, 16)
                    )
                    self._session_pid = os.getpid()
        return self._session_obj

    # --- request core ------------------------------------------------------------------------
    def _prepare_headers(self, headers: Mapping[str, str], bucket: str | None) -> dict[str, Any]:
        settings, conf = self._settings, self._conf
        out: dict[str, Any] = {k: _header_value(v) for k, v in headers.items()}
        out["User-Agent"] = settings.ua or USER_AGENT
        if settings.ip is not None:  # connect to IP:Port, keep the COS host name
            out["Host"] = conf.get_host(bucket) if bucket is not None else conf.service_host()
        if not settings.keep_alive:
            out["Connection"] = "close"
        return out

    def _backoff(self, attempt: int) -> None:
        settings = self._settings
        cap = min(settings.retry_backoff_max, settings.retry_backoff * (2 ** (attempt - 1)))
        time.sleep(random.uniform(cap / 2, cap))  # exponential backoff with jitter

    def _should_switch(self, url: str, resp: requests.Response | None) -> bool:
        """AutoSwitchDomainOnRetry: only for answers that did not come from COS (no request id)."""
        if not self._settings.auto_switch_domain_on_retry:
            return False
        if resp is not None and "x-cos-request-id" in resp.headers:
            return False
        return bool(_SWITCHABLE_HOST.match(urlsplit(url).hostname or ""))

    def _request(
        self,
        method: str,
        *,
        bucket: str | None = None,
        key: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        stream: bool = False,
        long: bool = False,
        check_body_error: bool = False,
    ) -> requests.Response:
        """Send one COS request with retries; return the response or raise a Cos*Error.

        Args:
            bucket: target bucket, or None for the service (list buckets).
            key: object key (raw, unencoded), or None for bucket-level requests.
            params: query parameters, all signed (bare ones like ``acl`` have value ``''``).
            data: bytes, str or a seekable file object (re-seeked before each retry).
            check_body_error: parse a 2xx body for ``<Error>`` (Copy, Complete).
        """
        conf, settings = self._conf, self._settings
        if bucket is not None:
            format_bucket(bucket, settings.appid)
        params = {k: str(v) for k, v in (params or {}).items()}
        url = conf.uri(bucket, key)
        sent_headers = self._prepare_headers(headers or {}, bucket)
        body = _Rewind(data)
        signer = CosSigner(
            settings.credentials,
            key,
            params if settings.sign_params else {},
            sign_host=settings.sign_host,
        )
        retries = max(self._retry, 0)
        for attempt in range(retries + 1):
            if attempt:
                self._backoff(attempt)
                body.rewind()
                sent_headers["x-cos-sdk-retry"] = "true"  # as the SDK marks its retries
                self.inc_retry_exe_times()
            last = attempt == retries or not body.retryable
            full_url = f"{url}?{encode_query(params)}" if params else url
            resp = self._send(method, full_url, sent_headers, body.data, signer, stream, long)
            if isinstance(resp, Exception):
                if last:
                    path = urlsplit(url).path
                    message = f"{method} {path}: connection failed: {resp}"
                    raise CosConnectionError(message) from resp
                if attempt == retries - 1 and self._should_switch(url, None):
                    url = switch_domain(url)
                continue
            if resp.status_code in _REDIRECTS and not last and self._should_switch(url, resp):
                resp.close()
                url = switch_domain(url)
                continue
            error = self._classify(method, url, resp, check_body_error)
            if error is None:
                return resp
            resp.close()
            if last or not is_retryable(error):
                raise error
            if attempt == retries - 1 and self._should_switch(url, resp):
                url = switch_domain(url)
        raise CosClientError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, Any],
        data: Any,
        signer: CosSigner,
        stream: bool,
        long: bool,
    ) -> requests.Response | Exception:
        """One attempt; a retryable transport error is returned, not raised."""
        settings = self._settings
        extra: dict[str, Any] = {}
        if settings.scheme == "https":
            if settings.verify_ssl is not None:
                extra["verify"] = settings.verify_ssl
            if settings.ssl_cert is not None:
                extra["cert"] = settings.ssl_cert
        started = time.monotonic()
        path = urlsplit(url).path
        try:
            resp = self._session.request(
                method,
                url,
                headers=headers,
                data=data,
                auth=signer,
                stream=stream,
                timeout=settings.request_timeout(long),
                allow_redirects=settings.allow_redirects,
                proxies=dict(settings.proxies) if settings.proxies is not None else None,
                **extra,
            )
        except requests.RequestException as exc:
            if not is_retryable(exc):  # e.g. an invalid URL or proxy setting: final
                raise CosClientError(f"{method} {path}: {exc}") from exc
            logger.debug("cos %s %s failed after %.3fs: %s", method, path, _since(started), exc)
            return exc
        logger.debug(
            "cos %s %s -> %s in %.3fs request_id=%s",
            method,
            path,
            resp.status_code,
            _since(started),
            resp.headers.get("x-cos-request-id", "-"),
        )
        return resp

    def _classify(
        self, method: str, url: str, resp: requests.Response, check_body_error: bool
    ) -> CosServiceError | None:
        if resp.status_code < 400:
            if not check_body_error:
                return None
            fields = error_fields(resp.content) if resp.content.strip() else None
            if fields is None:
                return None
            return _service_error(method, url, resp, fields)
        content = resp.content
        fields = error_fields(content) if content.strip() else None
        return _service_error(method, url, resp, fields)


def _since(started: float) -> float:
    return time.monotonic() - started


def _service_error(
    method: str, url: str, resp: requests.Response, fields: dict[str, str] | None
) -> CosServiceError:
    h = resp.headers
    code = h.get("x-cos-error-code") or (fields or {}).get("Code")
    code = code or _HEAD_CODES.get(resp.status_code)
    default_message = "The Resource You Head Not Exist" if resp.status_code == 404 else resp.reason
    origin = resp.text if fields else ""
    fields = fields or {}
    return CosServiceError(
        method,
        origin,
        resp.status_code,
        code=code or "Unknown",
        error_message=fields.get("Message") or default_message,
        resource=fields.get("Resource") or url,
        request_id=fields.get("RequestId") or h.get("x-cos-request-id"),
        trace_id=fields.get("TraceId") or h.get("x-cos-trace-id"),
        headers=None if origin else dict(h),
    )
