"""COS client on ``requests`` (no Django imports), API-compatible with cos-python-sdk-v5."""

from .client import CosS3Client
from .config import CosConfig
from .errors import (
    CosClientError,
    CosConnectionError,
    CosCrcMismatchError,
    CosException,
    CosServiceError,
    is_retryable,
)
from .transfer import UploadedPart

__all__ = [
    "CosClientError",
    "CosConfig",
    "CosConnectionError",
    "CosCrcMismatchError",
    "CosException",
    "CosS3Client",
    "CosServiceError",
    "UploadedPart",
    "is_retryable",
]
