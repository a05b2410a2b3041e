"""``CosS3Client``: the public client, assembled from the operation groups."""

from __future__ import annotations

from .copy import CopyOps


class CosS3Client(CopyOps):
    """COS client mirroring ``qcloud_cos.CosS3Client`` (``CosS3Client(conf, retry=3)``).

    Method names, keyword names and result dicts follow cos-python-sdk-v5 1.9.44. Extras:
    ``iter_objects``, ``iter_object_versions``, ``iter_multipart_uploads``, ``iter_parts``.

    Class layout (one module per group): core (``_request``) -> objects -> buckets -> multipart
    -> presign -> upload -> download -> copy.
    """
