"""coslocal: a local Tencent COS-compatible server (XML API, q-sign-algorithm=sha1)."""

__version__ = "0.1.0"
