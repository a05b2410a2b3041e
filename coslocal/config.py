"""Command line and environment configuration (every flag also reads COSLOCAL_<NAME>)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from coslocal.restore import RESTORE_TIMES


@dataclass(frozen=True)
class Credential:
    secret_id: str
    secret_key: str
    token: str | None = None  # required token for temporary credentials
    # The CAM principal qcs::cam::uin/<root_uin>:uin/<uin>; None means the bucket owner's root.
    root_uin: str | None = None
    uin: str | None = None


def parse_user(value: str) -> Credential:
    """'SECRETID:SECRETKEY:<owner uin>:<sub uin>' -> a credential for that CAM principal.

    Equal uins make another root account; the owner's uin with another sub uin makes one of the
    owner's sub-accounts. Neither gets anything the bucket ACLs and policies do not grant.
    """
    parts = value.split(":")
    if len(parts) != 4 or not all(parts) or not (parts[2].isdigit() and parts[3].isdigit()):
        raise ValueError(f"--user wants SECRETID:SECRETKEY:OWNERUIN:SUBUIN, got {value!r}")
    return Credential(parts[0], parts[1], None, parts[2], parts[3])


@dataclass
class Config:
    data_dir: Path
    secret_id: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 9000
    appid: str = "1250000000"
    region: str = "ap-guangzhou"
    # Restore timing (see restore.py): a flat --restore-seconds for every class and tier, or
    # COS's documented time per class and tier (overridable with --restore-time), divided by
    # --time-scale; a restored copy lives Days x day_seconds (default 86400 / time_scale).
    restore_seconds: float | None = None
    time_scale: float = 1.0
    restore_times: dict[tuple[str, str], float] = field(default_factory=dict)
    day_seconds: float | None = None
    tokens: tuple[str, ...] = ()
    temp_credentials: tuple[Credential, ...] = ()
    users: tuple[Credential, ...] = ()  # --user: sub-accounts and other root accounts
    owner_uin: str = ""  # --owner-uin: the root account owning every bucket; empty: the APPID
    threads: int = 32
    # Slow clients (coslocal/worker.py): a request head must arrive within header_timeout; once
    # a request is in a thread, any socket read or write idle for io_timeout ends it.
    header_timeout: float = 10.0
    io_timeout: float = 60.0
    faults: tuple[dict, ...] = field(default_factory=tuple)
    log_level: str = "warning"
    sync: str = "normal"  # --sync: SQLite's synchronous mode (store/db.py)

    def __post_init__(self) -> None:
        self.owner_uin = self.owner_uin or self.appid

    @property
    def owner_id(self) -> str:
        return f"qcs::cam::uin/{self.owner_uin}:uin/{self.owner_uin}"


SYNC_MODES = ("normal", "full")


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"COSLOCAL_{name.upper()}", default)


def _env_float(name: str) -> float | None:
    value = _env(name)
    return float(value) if value else None


def parse_restore_time(value: str) -> tuple[tuple[str, str], float]:
    """'ARCHIVE:Bulk=600' -> (("ARCHIVE", "Bulk"), 600.0)."""
    spec, _, seconds = value.partition("=")
    klass, _, tier = spec.partition(":")
    pair = (klass.upper(), tier.capitalize())
    try:
        secs = float(seconds)
    except ValueError:
        secs = -1.0
    if pair not in RESTORE_TIMES or secs < 0:
        known = ", ".join(f"{c}:{t}" for c, t in RESTORE_TIMES)
        raise ValueError(f"--restore-time wants CLASS:TIER=SECONDS with one of {known}: {value!r}")
    return pair, secs


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m coslocal", description=__doc__)
    p.add_argument("--host", default=_env("host", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(_env("port", "9000")))
    p.add_argument("--data", default=_env("data") or None, help="data directory (required)")
    p.add_argument("--secret-id", default=_env("secret_id") or None)
    p.add_argument("--secret-key", default=_env("secret_key") or None)
    p.add_argument("--appid", default=_env("appid", "1250000000"))
    p.add_argument("--region", default=_env("region", "ap-guangzhou"))
    p.add_argument(
        "--restore-seconds",
        type=float,
        default=_env_float("restore_seconds"),
        help="every restore takes exactly this long, whatever its class and tier (default: COS's"
        " documented time per class and tier, divided by --time-scale)",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=_env_float("time_scale") or 1.0,
        help="COS time runs this many times faster: restore times and restore days are divided"
        " by it (3600: an hour of COS time per second)",
    )
    env_times = [t for t in _env("restore_times").split(",") if t]
    p.add_argument(
        "--restore-time",
        action="append",
        default=env_times,
        metavar="CLASS:TIER=SECONDS",
        help="override the COS time of one class and tier, before --time-scale (repeatable)",
    )
    p.add_argument(
        "--day-seconds",
        type=float,
        default=_env_float("day_seconds"),
        help="length of a restore 'day' in real seconds (default: 86400 / --time-scale)",
    )
    env_tokens = [t for t in _env("tokens").split(",") if t]
    p.add_argument(
        "--token",
        action="append",
        default=env_tokens,
        help="accepted STS token; 'ID:KEY:TOKEN' defines a temporary credential (repeatable)",
    )
    env_users = [u for u in _env("users").split(",") if u]
    p.add_argument(
        "--user",
        action="append",
        default=env_users,
        help="extra credential 'SECRETID:SECRETKEY:OWNERUIN:SUBUIN' (a sub-account when OWNERUIN"
        " is the bucket owner's uin, another root account when both uins are equal; repeatable)",
    )
    p.add_argument(
        "--owner-uin",
        default=_env("owner_uin"),
        help="uin of the root account that owns every bucket (default: the APPID)",
    )
    p.add_argument("--threads", type=int, default=int(_env("threads", "32")))
    p.add_argument(
        "--header-timeout",
        type=float,
        default=float(_env("header_timeout", "10")),
        help="seconds a client has to send a request's head (read without using a thread)",
    )
    p.add_argument(
        "--io-timeout",
        type=float,
        default=float(_env("io_timeout", "60")),
        help="seconds a request may wait for its client to send or read more (idle timeout)",
    )
    p.add_argument("--fault", action="append", default=[], help="fault spec as JSON (repeatable)")
    p.add_argument("--log-level", default=_env("log_level", "warning"))
    p.add_argument(
        "--sync",
        choices=SYNC_MODES,
        default=_env("sync", "normal"),
        help="normal: a commit survives a crash of coslocal (kill -9), not of the machine; "
        "full: also a power loss, at one fsync per write request (several times slower)",
    )
    return p


def parse_config(argv: list[str] | None = None) -> Config:
    parser = build_parser()
    a = parser.parse_args(argv)
    missing = [n for n in ("data", "secret_id", "secret_key") if not getattr(a, n)]
    if missing:
        parser.error(
            "missing required settings: " + ", ".join("--" + m.replace("_", "-") for m in missing)
        )
    tokens, temps = [], []
    for t in a.token:
        parts = t.split(":", 2)
        if len(parts) == 3:
            temps.append(Credential(parts[0], parts[1], parts[2]))
        else:
            tokens.append(t)
    try:
        users = tuple(parse_user(u) for u in a.user)
        restore_times = dict(parse_restore_time(t) for t in a.restore_time)
    except ValueError as exc:
        parser.error(str(exc))
    if a.time_scale <= 0:
        parser.error("--time-scale must be positive")
    return Config(
        data_dir=Path(a.data).resolve(),
        secret_id=a.secret_id,
        secret_key=a.secret_key,
        host=a.host,
        port=a.port,
        appid=a.appid,
        region=a.region,
        restore_seconds=a.restore_seconds,
        time_scale=a.time_scale,
        restore_times=restore_times,
        day_seconds=a.day_seconds,
        tokens=tuple(tokens),
        temp_credentials=tuple(temps),
        users=users,
        owner_uin=a.owner_uin or "",
        threads=a.threads,
        header_timeout=a.header_timeout,
        io_timeout=a.io_timeout,
        faults=tuple(json.loads(f) for f in a.fault),
        log_level=a.log_level,
        sync=a.sync,
    )
