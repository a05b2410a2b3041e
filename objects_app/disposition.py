"""How object bytes reach a browser: which types it may show inline, and the Content-Disposition.

Object bytes are never to act as a page: a browser runs scripts in HTML, SVG, XHTML, XML (with
XSLT or an XHTML namespace) and guesses at unknown types. So the rule is an allow-list: only the
types below are shown inline; everything else, and any type we do not recognise, is a download.
"""

from __future__ import annotations

from urllib.parse import quote

# Types a browser renders without running anything the object carries. SVG is deliberately
# absent: opened as a document it runs its scripts (inside <img> it does not, see IMAGE_TYPES).
INLINE_SAFE_TYPES = frozenset(
    {
        "text/plain",
        "text/csv",
        "application/json",
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
    }
)
INLINE_SAFE_FAMILIES = ("audio/", "video/")


def media_type(content_type: str) -> str:
    """`text/HTML; charset=utf-8` -> `text/html`."""
    return content_type.split(";", 1)[0].strip().lower()


def inline_safe(content_type: str) -> bool:
    kind = media_type(content_type)
    return kind in INLINE_SAFE_TYPES or kind.startswith(INLINE_SAFE_FAMILIES)


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII fallback plus filename*=UTF-8'' for any key, quotes and CR/LF safe."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename
    )
    kind = "inline" if inline else "attachment"
    encoded = quote(filename, safe="")
    return f"{kind}; filename=\"{fallback or 'download'}\"; filename*=UTF-8''{encoded}"


def filename_of(key: str) -> str:
    return key.rsplit("/", 1)[-1] or "download"
