"""Authorization strings and presigned URLs (``get_auth``, ``get_presigned_url``)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from .auth import PRESIGN_EXPIRE, headers_to_sign, key_to_path, sign
from .config import Credentials
from .core import CoreInterface
from .errors import CosClientError
from .headers import check_key


class PresignOps(CoreInterface):
    """Signing helpers that do not send requests."""

    def get_auth(
        self,
        Method: str,
        Bucket: str,
        Key: str,
        Expired: int = PRESIGN_EXPIRE,
        Headers: Mapping[str, str] | None = None,
        Params: Mapping[str, str] | None = None,
        SignHost: bool | None = None,
        UseCiEndPoint: bool = False,
    ) -> str:
        """The Authorization value for a request (same inputs, same result as the SDK).

        ``UseCiEndPoint``: sign for the bucket's CI host (``<bucket>.ci.<region>...``).
        """
        creds = self._settings.credentials()
        if creds is None:
            raise CosClientError("get_auth needs credentials")
        url = self._url(Bucket, Key or None, UseCiEndPoint)
        return self._auth(creds, Method, url, Key, Expired, Headers, Params, SignHost)

    def _url(self, bucket: str, key: str | None, use_ci: bool) -> str:
        endpoint = self._settings.endpoint_ci if use_ci else None
        return self._conf.uri(bucket, key, endpoint=endpoint)

    def _auth(
        self,
        creds: Credentials,
        method: str,
        url: str,
        key: str,
        expired: int,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        sign_host: bool | None,
    ) -> str:
        settings = self._settings
        host = settings.sign_host if sign_host is None else bool(sign_host)
        signed_params = {str(k): str(v) for k, v in (params or {}).items()}
        return sign(
            secret_id=creds.secret_id,
            secret_key=creds.secret_key,
            method=method,
            path=key_to_path(key),
            params=signed_params if settings.sign_params else {},
            headers=headers_to_sign(dict(headers or {}), url, sign_host=host),
            expire=expired,
        )

    def get_presigned_url(
        self,
        Bucket: str,
        Key: str,
        Method: str,
        Expired: int = PRESIGN_EXPIRE,
        Params: Mapping[str, str] | None = None,
        Headers: Mapping[str, str] | None = None,
        UseCiEndPoint: bool = False,
        SignHost: bool | None = None,
    ) -> str:
        """A URL anyone can use until it expires.

        Unlike SDK 1.9.44, an STS token is added (and signed) too: without it COS refuses the
        URL of a temporary key.
        """
        check_key(Key)
        params = {str(k): str(v) for k, v in (Params or {}).items()}
        creds = self._settings.credentials()  # one set for the token and the signature
        if creds is None:
            raise CosClientError("get_presigned_url needs credentials")
        if creds.token and "x-cos-security-token" not in params:
            params["x-cos-security-token"] = creds.token
        url = self._url(Bucket, Key, UseCiEndPoint)
        auth = self._auth(creds, Method, url, Key, Expired, Headers, params, SignHost)
        query = urlencode(dict(item.split("=", 1) for item in auth.split("&")))
        url += "?" + query
        if params:
            url += "&" + urlencode(params)
        return url

    def get_presigned_download_url(
        self,
        Bucket: str,
        Key: str,
        Expired: int = PRESIGN_EXPIRE,
        Params: Mapping[str, str] | None = None,
        Headers: Mapping[str, str] | None = None,
        UseCiEndPoint: bool = False,
        SignHost: bool | None = None,
    ) -> str:
        """``get_presigned_url`` for GET."""
        return self.get_presigned_url(
            Bucket, Key, "GET", Expired, Params, Headers, UseCiEndPoint, SignHost
        )

    def get_object_url(self, Bucket: str, Key: str) -> str:
        """The unsigned object URL."""
        check_key(Key)
        return self._conf.uri(Bucket, Key)
