"""COS error responses: one exception type carrying status, code and message."""

from __future__ import annotations


class CosError(Exception):
    """An error answered to the client as COS would (status + <Error> XML)."""

    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers: list[tuple[str, str]] = []


def no_such_bucket() -> CosError:
    return CosError(404, "NoSuchBucket", "The specified bucket does not exist.")


def no_such_key() -> CosError:
    return CosError(404, "NoSuchKey", "The specified key does not exist.")


def no_such_version() -> CosError:
    return CosError(404, "NoSuchVersion", "The specified version does not exist.")


def no_such_upload() -> CosError:
    return CosError(404, "NoSuchUpload", "The specified multipart upload does not exist.")


def access_denied(message: str = "Access Denied.") -> CosError:
    return CosError(403, "AccessDenied", message)


def malformed_xml(message: str = "The XML you provided was not well-formed.") -> CosError:
    return CosError(400, "MalformedXML", message)


def invalid_argument(message: str) -> CosError:
    return CosError(400, "InvalidArgument", message)


def invalid_request(message: str) -> CosError:
    return CosError(400, "InvalidRequest", message)


class RequestTimeout(CosError):
    """The client stopped sending its body (idle timeout); the connection is closed after it."""

    def __init__(self) -> None:
        super().__init__(
            400,
            "RequestTimeout",
            "Your socket connection to the server was not read from or written to within the "
            "timeout period.",
        )
