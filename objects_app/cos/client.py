"""``CosS3Client``: the request core and the operation groups, composed side by side."""

from __future__ import annotations

from .buckets import BucketOps
from .buffer_upload import BufferUploadOps
from .copy import CopyOps
from .core import RequestCore
from .download import DownloadOps
from .listings import ListingOps
from .multipart import MultipartOps
from .objects import ObjectOps
from .presign import PresignOps
from .upload import UploadOps


class CosS3Client(
    RequestCore,
    ObjectOps,
    BucketOps,
    ListingOps,
    MultipartOps,
    PresignOps,
    UploadOps,
    BufferUploadOps,
    DownloadOps,
    CopyOps,
):
    """COS client mirroring ``qcloud_cos.CosS3Client`` (``CosS3Client(conf, retry=3)``).

    Method names, keyword names and result dicts follow cos-python-sdk-v5 1.9.44. Extras:
    ``iter_objects``, ``iter_object_versions``, ``iter_multipart_uploads``, ``iter_parts``,
    ``complete_and_verify``.

    Layout: ``RequestCore`` (session, signing, retries, ``_request``) plus one mixin per
    operation group, each relying only on ``core.CoreInterface`` (the managed transfers also
    on the public operations declared in ``transfer.TransferBase``).
    """
