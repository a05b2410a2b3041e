"""Managed ``copy``: PUT Object - Copy up to a threshold, multipart Upload Part - Copy above."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .config import format_endpoint, with_endpoint
from .errors import CosClientError
from .headers import check_key
from .transfer import MB, Part, TransferBase, choose_part_size, plan_parts, run_parallel

logger = logging.getLogger(__name__)

SSE_PART_KWARGS = (
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
    "CopySourceSSECustomerAlgorithm",
    "CopySourceSSECustomerKey",
    "CopySourceSSECustomerKeyMD5",
)
# Source headers carried to the new object when CopyStatus='Copy' (PUT Copy does this itself).
_KEPT_HEADERS = {
    "content-type": "ContentType",
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "content-language": "ContentLanguage",
    "expires": "Expires",
}


def _source_kwargs(info: Mapping[str, str]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    meta = {k: v for k, v in info.items() if k.lower().startswith("x-cos-meta-")}
    if meta:
        kwargs["Metadata"] = meta
    for name, value in info.items():
        if name.lower() in _KEPT_HEADERS:
            kwargs[_KEPT_HEADERS[name.lower()]] = value
    return kwargs


class CopyOps(TransferBase):
    """Managed copy."""

    def copy(
        self,
        Bucket: str,
        Key: str,
        CopySource: Mapping[str, Any],
        CopyStatus: str = "Copy",
        PartSize: int = 64,
        MAXThread: int = 5,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Copy an object of any size.

        Objects up to ``conf.set_copy_part_threshold_size`` (5 GB by default) use PUT Object -
        Copy; larger ones use multipart Upload Part - Copy in ``PartSize`` MB ranges on
        ``MAXThread`` threads (aborted if anything fails).
        """
        check_key(Key)
        if CopyStatus not in ("Copy", "Replaced"):
            raise CosClientError("CopyStatus must be Copy or Replaced")
        info = self._head_source(CopySource, kwargs)
        size = int(info.get("Content-Length") or info.get("content-length") or 0)
        if size <= self._settings.copy_part_threshold_size:
            return self.copy_object(Bucket, Key, CopySource, CopyStatus, **kwargs)
        create_kwargs = dict(kwargs)
        if CopyStatus == "Copy":
            create_kwargs = {**_source_kwargs(info), **kwargs}
        parts = plan_parts(size, choose_part_size(size, PartSize * MB))
        upload_id = str(self.create_multipart_upload(Bucket, Key, **create_kwargs)["UploadId"])
        try:
            return self._copy_parts(Bucket, Key, upload_id, CopySource, parts, MAXThread, kwargs)
        except BaseException:
            logger.debug("aborting multipart copy of %s", Key)
            self.abort_multipart_upload(Bucket, Key, upload_id)
            raise

    def _head_source(self, source: Mapping[str, Any], kwargs: Mapping[str, Any]) -> dict[str, str]:
        head_kwargs: dict[str, Any] = {}
        for name in ("Algorithm", "Key", "KeyMD5"):
            if f"CopySourceSSECustomer{name}" in kwargs:
                head_kwargs[f"SSECustomer{name}"] = kwargs[f"CopySourceSSECustomer{name}"]
        if source.get("VersionId"):
            head_kwargs["VersionId"] = source["VersionId"]
        key = str(source.get("Key") or "")
        client = self._client_for_source(source)
        return client.head_object(str(source.get("Bucket")), key.lstrip("/"), **head_kwargs)

    def _client_for_source(self, source: Mapping[str, Any]) -> TransferBase:
        """A client for the source's region (unless IP/Domain pins where we connect)."""
        settings = self._settings
        if not (source.get("Endpoint") or source.get("Region")) or settings.ip or settings.domain:
            return self
        endpoint = format_endpoint(
            source.get("Endpoint"),
            source.get("Region"),
            settings.enable_old_domain,
            settings.enable_internal_domain,
        )
        if endpoint == settings.endpoint:
            return self
        return self._for_conf(with_endpoint(self._conf, endpoint))

    def _copy_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        source: Mapping[str, Any],
        parts: list[Part],
        threads: int,
        kwargs: Mapping[str, Any],
    ) -> dict[str, Any]:
        part_kwargs = {k: kwargs[k] for k in SSE_PART_KWARGS if k in kwargs}

        def send(part: Part) -> str:
            rt = self.upload_part_copy(
                bucket, key, part.number, upload_id, source, part.range_header, **part_kwargs
            )
            return str(rt["ETag"])

        etags = run_parallel(send, parts, threads, "upload_part_copy")
        listing = [{"PartNumber": p.number, "ETag": etags[p.number]} for p in parts]
        return self.complete_multipart_upload(bucket, key, upload_id, {"Part": listing})
