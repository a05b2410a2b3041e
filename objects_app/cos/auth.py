"""COS request signing, ``q-sign-algorithm=sha1`` (protocol notes §1, COS doc 436/7778).

The recipe, in short: sign the *decoded* path, URL-encode then lowercase parameter and header
names, URL-encode values (``quote(safe='-_.~')``, so space is ``%20`` and ``/`` is ``%2F``), sort,
and HMAC-SHA1 twice (the second key is the *hex text* of the first HMAC).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from urllib.parse import quote, urlsplit

import requests
from requests.auth import AuthBase

# Headers the official SDK signs (cos_auth.filter_headers), plus every x-cos-* / x-ci-* header.
SIGNED_HEADERS = frozenset(
    {
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-type",
        "content-md5",
        "content-length",
        "expect",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "origin",
        "range",
        "transfer-encoding",
        "pic-operations",
    }
)

DEFAULT_EXPIRE = 10000  # seconds, what the SDK uses for ordinary requests
PRESIGN_EXPIRE = 300


def cos_quote(value: str) -> str:
    """Percent-encode everything but ``A-Z a-z 0-9 - _ . ~`` (UTF-8)."""
    return quote(value.encode("utf-8"), safe="-_.~")


def should_sign_header(name: str) -> bool:
    lower = name.lower()
    return lower in SIGNED_HEADERS or lower.startswith(("x-cos-", "x-ci-"))


def _canonical(items: Mapping[str, str]) -> tuple[str, str]:
    """Return (``k1=v1&k2=v2``, ``k1;k2``) over encoded, lowercased, sorted pairs."""
    encoded = sorted((cos_quote(k).lower(), cos_quote(v)) for k, v in items.items())
    pairs = "&".join(f"{k}={v}" for k, v in encoded)
    names = ";".join(k for k, _ in encoded)
    return pairs, names


def key_to_path(key: str | None) -> str:
    """The decoded UriPathname: ``/`` plus the raw key (one leading ``/`` is not doubled)."""
    if not key:
        return "/"
    return key if key.startswith("/") else "/" + key


def sign(
    *,
    secret_id: str,
    secret_key: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    start: int | None = None,
    expire: int = DEFAULT_EXPIRE,
) -> str:
    """Compute the COS Authorization value.

    Args:
        path: the decoded path (``key_to_path(key)``).
        params: every query parameter to sign (value ``''`` for bare ones like ``acl``).
        headers: the headers to sign (already filtered; include ``host`` without port).
        start: signing time (Unix seconds); the window is ``start-60 .. start+expire``.
    """
    now = int(time.time()) if start is None else start
    key_time = f"{now - 60};{now + expire}"
    param_str, param_list = _canonical(params)
    header_str, header_list = _canonical(headers)
    http_string = f"{method.lower()}\n{path}\n{param_str}\n{header_str}\n"
    digest = hashlib.sha1(http_string.encode("utf-8")).hexdigest()
    string_to_sign = f"sha1\n{key_time}\n{digest}\n"
    # hmac.digest: the one-shot C path (an HMAC object per call cost more than the hashing)
    sign_key = hmac.digest(secret_key.encode(), key_time.encode(), "sha1").hex()
    signature = hmac.digest(sign_key.encode(), string_to_sign.encode(), "sha1").hex()
    return (
        f"q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={key_time}&q-key-time={key_time}"
        f"&q-header-list={header_list}&q-url-param-list={param_list}&q-signature={signature}"
    )


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def headers_to_sign(
    headers: Mapping[str, str | bytes], url: str, *, sign_host: bool = True
) -> dict[str, str]:
    """Pick the headers to sign; add ``host`` from the URL (without port) if none was set."""
    chosen = {k: _text(v) for k, v in headers.items() if should_sign_header(k)}
    if sign_host and not any(k.lower() == "host" for k in chosen):
        hostname = urlsplit(url).hostname
        if hostname is not None:
            chosen["host"] = hostname
    return chosen


# (secret_id, secret_key) or (secret_id, secret_key, token), e.g. a ``config.Credentials``.
CredentialsLike = tuple[str, str] | tuple[str, str, str | None]


class CosSigner(AuthBase):
    """``requests`` auth hook: signs the *prepared* request, so Content-Length is included.

    ``requests`` calls it on every send, so every retry gets a fresh signature, and credentials
    are asked for each time (refreshing credentials take effect at once). An STS token goes
    into ``x-cos-security-token`` from the same set, so it always matches the signature.
    """

    def __init__(
        self,
        credentials: Callable[[], CredentialsLike | None],
        key: str | None,
        params: Mapping[str, str],
        *,
        sign_host: bool = True,
        expire: int = DEFAULT_EXPIRE,
    ) -> None:
        self._credentials = credentials
        self._path = key_to_path(key)
        self._params = dict(params)
        self._sign_host = sign_host
        self._expire = expire

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        creds = self._credentials()
        if creds is None:  # anonymous: the SDK sends an empty Authorization header
            r.headers["Authorization"] = ""
            return r
        token = creds[2] if len(creds) > 2 else None
        if token:
            r.headers["x-cos-security-token"] = token
        else:
            r.headers.pop("x-cos-security-token", None)
        signed = headers_to_sign(r.headers, r.url or "", sign_host=self._sign_host)
        r.headers["Authorization"] = sign(
            secret_id=creds[0],
            secret_key=creds[1],
            method=r.method or "GET",
            path=self._path,
            params=self._params,
            headers=signed,
            expire=self._expire,
        )
        return r
