"""Tiny XML writer for COS responses and a hardened parser for request bodies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import fromstring as plain_fromstring
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET

from coslocal.errors import malformed_xml

DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

Node = tuple[str, Any]  # (tag, str | int | bool | None | list[Node]) ; attrs via tag "a b='c'"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def render(node: Node) -> str:
    tag, value = node
    if not tag:  # ("", xml): a fragment rendered already (listing entries, see raw_node)
        return str(value)
    name = tag.split(" ", 1)[0]
    if isinstance(value, list):
        inner = "".join(render(child) for child in value)
        return f"<{tag}>{inner}</{name}>"
    return f"<{tag}>{_text(value)}</{name}>"


def raw_node(tag: str, inner: str) -> Node:
    """<tag>inner</tag> for `inner` that is XML already (each child rendered and escaped)."""
    return ("", f"<{tag}>{inner}</{tag}>")


def leaf(tag: str, value: Any) -> str:
    return f"<{tag}>{_text(value)}</{tag}>"


def document(root: str, children: Iterable[Node]) -> bytes:
    return (DECL + render((root, list(children)))).encode("utf-8")


def parse(body: bytes) -> Element:
    """Parse a request body; entity tricks and malformed input become MalformedXML."""
    if not body.strip():
        raise malformed_xml("The request body is empty.")
    try:
        # A body without "<!" has no DOCTYPE, so no entity or external reference to defuse: the
        # stdlib's C parser reads it (defusedxml's runs in Python, most of a 1,000-key Delete
        # Multiple's cost). NUL bytes (UTF-16 and the like) hide a "<!": those go defused.
        if b"<!" not in body and b"\x00" not in body:
            root = plain_fromstring(body)  # noqa: S314 (see above)
        else:
            root = SafeET.fromstring(body)
    except Exception as exc:  # defusedxml raises several types; all mean "bad XML"
        raise malformed_xml() from exc
    _strip_namespaces(root)
    return root


def _strip_namespaces(root: Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]


def child_text(el: Element, tag: str, default: str | None = None) -> str | None:
    found = el.find(tag)
    if found is None:
        return default
    return (found.text or "").strip()
