"""Verification of COS request signatures (q-sign-algorithm=sha1), header and query forms.

Written from the protocol notes (cos-protocol.md §1), independently of our client's signer, so the
two cannot share a mistake. The official SDK is the referee in tests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from urllib.parse import quote

from coslocal.config import Config, Credential
from coslocal.errors import CosError

SKEW_SECONDS = 900
_FIELDS = ("q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-signature")


@dataclass(frozen=True)
class Identity:
    """Who is calling: anonymous, or the CAM principal qcs::cam::uin/<root_uin>:uin/<uin>."""

    anonymous: bool
    secret_id: str | None = None
    root_uin: str | None = None
    uin: str | None = None

    @property
    def principal(self) -> str | None:
        if self.anonymous:
            return None
        return f"qcs::cam::uin/{self.root_uin}:uin/{self.uin}"

    def is_owner(self, config: Config) -> bool:
        """The bucket owner's root account: every bucket here is its own, ACLs and policies
        included (the notes are silent on whether a policy can deny a root account its own
        bucket; coslocal never lets one, so an admin cannot be locked out)."""
        return not self.anonymous and self.root_uin == self.uin == config.owner_uin


ANONYMOUS = Identity(anonymous=True)


@dataclass
class SignedRequest:
    """What the verifier needs from a request (decoded path, form-decoded query pairs)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names


def _enc(s: str) -> str:
    return quote(s, safe="-_.~")


def _hmac_hex(key: str, msg: str) -> str:
    return hmac.digest(key.encode(), msg.encode(), "sha1").hex()  # the one-shot C path


def signature(secret_key: str, key_time: str, http_string: str) -> str:
    sign_key = _hmac_hex(secret_key, key_time)
    digest = hashlib.sha1(http_string.encode()).hexdigest()
    return _hmac_hex(sign_key, f"sha1\n{key_time}\n{digest}\n")


def _pairs(names: str, values: dict[str, str]) -> str:
    wanted = sorted(n for n in names.split(";") if n)
    return "&".join(f"{n}={_enc(values.get(n, ''))}" for n in wanted)


def http_string(req: SignedRequest, fields: dict[str, str], host: str) -> str:
    params = {_enc(k).lower(): v for k, v in req.query if not k.startswith("q-")}
    headers = {_enc(k).lower(): v for k, v in req.headers.items()}
    headers["host"] = host
    return "\n".join(
        [
            req.method.lower(),
            req.path,
            _pairs(fields.get("q-url-param-list", "").lower(), params),
            _pairs(fields.get("q-header-list", "").lower(), headers),
            "",
        ]
    )


def _parse_header(value: str) -> dict[str, str]:
    """The q-* fields of an authorization string, read strictly as COS does: nothing is
    stripped, so "q-ak=ID " names another (unknown) SecretId and a padded field name is no
    field at all (the SDK emits the fields without any spaces, protocol 1.1 step 8)."""
    fields: dict[str, str] = {}
    for part in value.split("&"):
        name, _, val = part.partition("=")
        fields[name] = val
    return fields


def _credential(config: Config, secret_id: str) -> Credential | None:
    if secret_id == config.secret_id:
        return Credential(config.secret_id, config.secret_key)
    known = (*config.temp_credentials, *config.users)
    return next((c for c in known if c.secret_id == secret_id), None)


def _identity(config: Config, cred: Credential) -> Identity:
    root = cred.root_uin or config.owner_uin
    return Identity(anonymous=False, secret_id=cred.secret_id, root_uin=root, uin=cred.uin or root)


_KEY_TIME = re.compile(r"^(\d+);(\d+)$")


def _check_time(fields: dict[str, str], now: float) -> None:
    for name in ("q-sign-time", "q-key-time"):
        if name in fields and not _KEY_TIME.match(fields[name]):
            raise CosError(403, "AccessDenied", f"Invalid {name} in the authorization.")
    m = _KEY_TIME.match(fields.get("q-key-time") or fields.get("q-sign-time", ""))
    if m is None:
        raise CosError(403, "AccessDenied", "Invalid q-key-time in the authorization.")
    start, end = int(m[1]), int(m[2])
    if now > end:
        raise CosError(403, "AccessDenied", "Request has expired")
    if start > now + SKEW_SECONDS:
        raise CosError(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
        )


def _check_token(config: Config, cred: Credential, token: str | None) -> None:
    if cred.token is not None:
        if token != cred.token:
            raise CosError(403, "InvalidAccessKeyId", "The temporary key needs its security token.")
    elif token is not None and token not in config.tokens:
        raise CosError(403, "AccessDenied", "The security token is invalid.")


def _fields(req: SignedRequest) -> tuple[dict[str, str], str | None] | None:
    auth = req.headers.get("authorization")
    if auth and auth.strip():
        return _parse_header(auth), req.headers.get("x-cos-security-token")
    query = dict(req.query)
    if query.get("sign"):
        # The whole authorization string in one parameter, as the Node SDK's getAuth() output
        # is put into URLs (its getObjectUrl and demo: "?sign=" + encodeURIComponent(auth)).
        return _parse_header(query["sign"]), query.get("x-cos-security-token")
    if "q-signature" in query or "q-sign-algorithm" in query:
        return {k: v for k, v in query.items() if k.startswith("q-")}, query.get(
            "x-cos-security-token"
        )
    return None  # no or empty Authorization: anonymous


def authenticate(req: SignedRequest, config: Config, now: float | None = None) -> Identity:
    found = _fields(req)
    if found is None:
        return ANONYMOUS
    fields, token = found
    missing = [f for f in _FIELDS if f not in fields and f != "q-key-time"]
    if missing or fields["q-sign-algorithm"].lower() != "sha1":
        raise CosError(
            403, "AccessDenied", "Invalid authorization: " + ",".join(missing or ["alg"])
        )
    cred = _credential(config, fields["q-ak"])
    if cred is None:
        raise CosError(403, "InvalidAccessKeyId", "The access key Id you provided does not exist.")
    _check_time(fields, time.time() if now is None else now)
    key_time = fields.get("q-key-time") or fields["q-sign-time"]
    wire_host = req.headers.get("host", "")
    hosts = [wire_host.rsplit(":", 1)[0] if _has_port(wire_host) else wire_host]
    if hosts[0] != wire_host:
        hosts.append(wire_host)  # a signer that kept the port is accepted too
    for host in hosts:
        fmt = http_string(req, fields, host)
        expected = signature(cred.secret_key, key_time, fmt)
        if hmac.compare_digest(expected, fields["q-signature"].lower()):
            _check_token(config, cred, token)
            return _identity(config, cred)
    fmt = http_string(req, fields, hosts[0])
    string_to_sign = f"sha1\n{key_time}\n{hashlib.sha1(fmt.encode()).hexdigest()}\n"
    raise CosError(
        403,
        "SignatureDoesNotMatch",
        "The Signature you specified does not match what we calculated.",
        StringToSign=string_to_sign,
        FormatString=fmt,
    )


def _has_port(host: str) -> bool:
    if host.startswith("["):
        return "]:" in host
    return host.count(":") == 1
