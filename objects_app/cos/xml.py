"""XML <-> dict in the official SDK's shapes, parsed with a hardened parser.

Parsing uses ``defusedxml`` (no DTDs, no entity expansion). The dict shape follows the SDK's
``Xml2Dict``: the root tag is dropped, leaf text stays a string (empty elements become ``None``),
repeated siblings become a list, attributes become keys, and namespaces are stripped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import fromstring as _plain_fromstring
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .errors import CosClientError

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def _local(tag: str) -> str:
    """Strip a ``{namespace}`` prefix."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _plain(data: bytes | str) -> bool:
    """True when the document cannot hold what defusedxml guards against: entity declarations
    and external references live in a DOCTYPE, and a body without "<!" has none. Such a body
    (every answer COS sends) goes through the stdlib's C parser; defusedxml's parser runs in
    Python, a third of the client's CPU on a listing. NUL bytes (UTF-16 and other encodings
    the "<!" test cannot see into) take the defused path."""
    if isinstance(data, str):
        return "<!" not in data and "\x00" not in data
    return b"<!" not in data and b"\x00" not in data


def parse_root(data: bytes | str) -> Element:
    """Parse XML safely; malformed or hostile input raises ``CosClientError``."""
    try:
        if _plain(data):
            root: Element = _plain_fromstring(data)  # noqa: S314 (see _plain)
        else:
            root = SafeET.fromstring(data, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise CosClientError(f"invalid XML in COS response: {exc}") from exc
    return root


def _add(target: dict[str, Any], key: str, value: Any) -> None:
    if key not in target:
        target[key] = value
    elif isinstance(target[key], list):
        target[key].append(value)
    else:
        target[key] = [target[key], value]


def _attrs(element: Element) -> dict[str, Any]:
    return {_local(k): v for k, v in element.items()}


def element_to_dict(element: Element) -> dict[str, Any]:
    """Children of ``element`` as a dict (the element's own tag is dropped)."""
    result: dict[str, Any] = {}
    for key, value in _attrs(element).items():
        _add(result, key, value)
    if len(element) == 0:
        _add(result, _local(element.tag), element.text)
    for child in element:
        tag = _local(child.tag)
        if len(child):
            _add(result, tag, element_to_dict(child))
        elif child.items():
            leaf = _attrs(child)
            if child.text:
                leaf[tag] = child.text
            _add(result, tag, leaf)
        else:
            _add(result, tag, child.text)
    return result


def xml_to_dict(data: bytes | str) -> dict[str, Any]:
    """Parse a COS XML body into the SDK-shaped dict."""
    return element_to_dict(parse_root(data))


def listify(data: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Make repeated sections lists (``None`` becomes ``[]``; absent keys stay absent, as SDK)."""
    for key in keys:
        if key not in data:
            continue
        value = data[key]
        if value is None:
            data[key] = []
        elif not isinstance(value, list):
            data[key] = [value]
    return data


def unquote_fields(
    data: dict[str, Any], keys: Iterable[str], nested: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """URL-decode fields of a listing answered with ``encoding-type=url``.

    ``unquote`` (not ``unquote_plus``): COS encodes ``+`` as ``%2B`` and space as ``%20``.
    """
    for key in keys:
        if data.get(key):
            data[key] = unquote(data[key])
    for section, field in nested:
        for item in data.get(section) or []:
            if isinstance(item, dict) and item.get(field):
                item[field] = unquote(item[field])
    return data


# --- dict -> XML ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value), {'"': "&quot;"})


def _emit(tag: str, value: Any, out: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _emit(tag, item, out)
        return
    if not isinstance(value, Mapping):
        if value is None:
            out.append(f"<{tag}></{tag}>")
        else:
            out.append(f"<{tag}>{_text(value)}</{tag}>")
        return
    attrs = "".join(
        f" {k[1:]}={quoteattr(str(v))}" for k, v in value.items() if str(k).startswith("@")
    )
    out.append(f"<{tag}{attrs}>")
    for key, child in value.items():
        if key.startswith("@"):
            continue
        if key == "#text":
            out.append(_text(child))
        else:
            _emit(key, child, out)
    out.append(f"</{tag}>")


def dict_to_xml(data: Mapping[str, Any], root: str) -> bytes:
    """Serialise ``data`` under ``root`` (xmltodict conventions: ``@attr``, ``#text``, lists)."""
    out: list[str] = [XML_DECLARATION]
    _emit(root, data, out)
    return "".join(out).encode("utf-8")


def complete_multipart_xml(parts: Iterable[Mapping[str, Any]]) -> bytes:
    """Body of Complete Multipart Upload; extra keys in each part dict are ignored (as SDK)."""
    out = [XML_DECLARATION, "<CompleteMultipartUpload>"]
    for part in parts:
        if "PartNumber" not in part or "ETag" not in part:
            raise CosClientError("Invalid Parameter, PartNumber and ETag are required")
        out.append(
            f"<Part><PartNumber>{int(part['PartNumber'])}</PartNumber>"
            f"<ETag>{_text(part['ETag'])}</ETag></Part>"
        )
    out.append("</CompleteMultipartUpload>")
    return "".join(out).encode("utf-8")


def error_fields(data: bytes | str) -> dict[str, str] | None:
    """Code/Message/Resource/RequestId/TraceId of an ``<Error>`` body, or None if not one."""
    if isinstance(data, bytes) and b"Error" not in data and b"\x00" not in data:
        return None  # no Error element (a successful Copy's body): nothing to parse
    try:
        root = parse_root(data)
    except CosClientError:
        return None
    if _local(root.tag) != "Error":
        return None
    fields: dict[str, str] = {}
    for child in root:
        if len(child) == 0 and child.text is not None:
            fields[_local(child.tag)] = child.text
    return fields
