"""COS client on ``requests`` (no Django imports), API-compatible with cos-python-sdk-v5."""

from .client import CosS3Client
from .config import CosConfig
from .errors import CosClientError, CosException, CosServiceError

__all__ = ["CosClientError", "CosConfig", "CosException", "CosS3Client", "CosServiceError"]
