"""Server-side encryption headers: SSE-COS (AES256) and SSE-C (customer-provided keys).

coslocal keeps what a client must see: the encryption mode is stored with the object (for SSE-C
the algorithm and the key's MD5, never the key) and returned on PUT, HEAD, GET, copies and
multipart; an SSE-C object is served only to a request that presents the same key (GET, HEAD and
a copy's source). The bytes themselves are stored as given: coslocal is a test server, and what
the protocol shows of encryption is the headers and the key checks. SSE-KMS is refused (501), never
silently ignored. Stored form: {"type": "AES256"} or {"type": "SSE-C", "key_md5": "<base64>"}.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from coslocal.errors import CosError, access_denied, invalid_argument, invalid_request

SSE = "x-cos-server-side-encryption"
CUSTOMER = "x-cos-server-side-encryption-customer-"
COPY_SOURCE = "x-cos-copy-source-server-side-encryption-customer-"  # a copy's source key
# response spellings as the SDK maps them (cos_comm maplist: SSECustomerKeyMD5 etc.)
ALGORITHM_HEADER = "x-cos-server-side-encryption-customer-algorithm"
KEY_MD5_HEADER = "x-cos-server-side-encryption-customer-key-MD5"


def _customer_fields(headers: dict[str, str], prefix: str) -> dict[str, str]:
    names = ("algorithm", "key", "key-md5")
    return {n: headers[prefix + n] for n in names if prefix + n in headers}


def _customer_key_md5(headers: dict[str, str], prefix: str = CUSTOMER) -> str | None:
    """The validated key MD5 of SSE-C request headers (COPY_SOURCE: a copy's source), or None."""
    fields = _customer_fields(headers, prefix)
    if not fields:
        return None
    if set(fields) != {"algorithm", "key", "key-md5"}:
        raise invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide "
            "the algorithm, the key and the key MD5."
        )
    if fields["algorithm"] != "AES256":
        raise invalid_argument("The encryption algorithm specified is not valid (only AES256).")
    try:
        key = base64.b64decode(fields["key"], validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise invalid_argument("The secret key was invalid for the specified algorithm.")
    if base64.b64encode(hashlib.md5(key).digest()).decode() != fields["key-md5"]:
        raise invalid_argument(
            "The calculated MD5 hash of the key did not match the hash that was provided."
        )
    return fields["key-md5"]


def from_request(headers: dict[str, str]) -> dict[str, Any] | None:
    """The encryption a PUT / Initiate Multipart / copy asks for the new object."""
    mode = headers.get(SSE)
    key_md5 = _customer_key_md5(headers)
    if mode is not None and key_md5 is not None:
        raise invalid_argument("Server Side Encryption with both COS and customer keys is invalid.")
    if key_md5 is not None:
        return {"type": "SSE-C", "key_md5": key_md5}
    if mode is None:
        return None
    if mode == "AES256":
        return {"type": "AES256"}
    if mode == "cos/kms":
        raise CosError(501, "NotImplemented", "coslocal does not implement SSE-KMS (cos/kms).")
    raise invalid_argument(f"The encryption method specified is not supported: {mode!r}.")


def require_key(
    sse: dict[str, Any] | None, headers: dict[str, str], prefix: str = CUSTOMER
) -> None:
    """Serve an SSE-C object (or part of an SSE-C upload) only with its key."""
    given = _customer_key_md5(headers, prefix)
    if not sse or sse.get("type") != "SSE-C":
        if given is not None:
            raise invalid_request("The encryption parameters are not applicable to this object.")
        return
    if given is None:
        raise invalid_request(
            "The object was stored using a form of Server Side Encryption. The correct "
            "parameters must be provided to retrieve the object."
        )
    if given != sse["key_md5"]:
        raise access_denied("The provided customer key does not match the object's key.")


def response_headers(sse: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not sse:
        return []
    if sse["type"] == "SSE-C":
        return [(ALGORITHM_HEADER, "AES256"), (KEY_MD5_HEADER, sse["key_md5"])]
    return [(SSE, sse["type"])]
