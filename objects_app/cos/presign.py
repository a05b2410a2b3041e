"""Authorization strings and presigned URLs (``get_auth``, ``get_presigned_url``)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from .auth import PRESIGN_EXPIRE, headers_to_sign, key_to_path, sign
from .errors import CosClientError
from .headers import check_key
from .multipart import MultipartOps


class PresignOps(MultipartOps):
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
    ) -> str:
        """The Authorization value for a request (same inputs, same result as the SDK)."""
        conf = self._conf
        creds = conf.credentials()
        if creds is None:
            raise CosClientError("get_auth needs credentials")
        url = conf.uri(Bucket, Key or None)
        sign_host = conf._sign_host if SignHost is None else bool(SignHost)
        params = {str(k): str(v) for k, v in (Params or {}).items()}
        return sign(
            secret_id=creds[0],
            secret_key=creds[1],
            method=Method,
            path=key_to_path(Key),
            params=params if conf._sign_params else {},
            headers=headers_to_sign(dict(Headers or {}), url, sign_host=sign_host),
            expire=Expired,
        )

    def get_presigned_url(
        self,
        Bucket: str,
        Key: str,
        Method: str,
        Expired: int = PRESIGN_EXPIRE,
        Params: Mapping[str, str] | None = None,
        Headers: Mapping[str, str] | None = None,
        SignHost: bool | None = None,
    ) -> str:
        """A URL anyone can use until it expires. An STS token is added (and signed) too."""
        check_key(Key)
        params = {str(k): str(v) for k, v in (Params or {}).items()}
        token = self._conf._token
        if token and "x-cos-security-token" not in params:
            params["x-cos-security-token"] = token
        auth = self.get_auth(Method, Bucket, Key, Expired, Headers, params, SignHost)
        query = urlencode(dict(item.split("=", 1) for item in auth.split("&")))
        url = self._conf.uri(Bucket, Key) + "?" + query
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
        SignHost: bool | None = None,
    ) -> str:
        """``get_presigned_url`` for GET."""
        return self.get_presigned_url(Bucket, Key, "GET", Expired, Params, Headers, SignHost)

    def get_object_url(self, Bucket: str, Key: str) -> str:
        """The unsigned object URL."""
        check_key(Key)
        return self._conf.uri(Bucket, Key)
