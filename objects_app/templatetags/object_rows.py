"""The folder table's object rows, rendered in Python (issue 15, load goal).

A folder page has 100 to 1,000 of these rows, and each one costs the template engine a dozen
variable lookups, autoescapes and tags: profiled under the 20-user bench, the row loop was the
largest single cost of the page (~70 us a row against ~20 us here). The markup is the same as
the template's was, byte for byte; Django's admin renders its change-list cells the same way
(`admin_list.items_for_result`). Rows of deleted keys, rare, keep their template.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from objects_app.selectors.browse import ObjectRow

register = template.Library()
DELETED_ROW = "objects_app/_deleted_row.html"

# One object row. Every value put in is escaped (or a SafeString from ObjectRow) first.
_ROW = (
    '\n        <tr class="object-row">\n          {pick}\n'
    '          <td><a class="object-link" href="{detail}?key={quoted_key}"><svg class="icon"'
    ' aria-hidden="true"><use href="#icon-file"></use></svg><code class="key" translate="no">'
    "{name}</code></a>{public}\n"
    '            <span class="row-meta" translate="no">{modified} · {storage_class}</span></td>\n'
    '          <td class="num" title="{size_title}">{size_text}</td>\n'
    '          <td class="col-modified" translate="no">{modified}</td>\n'
    '          <td class="col-class" translate="no">{storage_class}</td>\n'
    '          <td class="col-restore">{restore}</td>\n'
    "        </tr>\n        "
)
_PICK = (
    '<td class="pick"><input type="checkbox" name="selected" value="{key}" form="bulk-form"'
    ' aria-label="{label}"></td>'
)
_PUBLIC = '<span class="public-marker" title="{title}">{text}</span>'
_RESTORE = (
    '<span id="{cell}" class="restore-cell muted">…'
    '<span class="visually-hidden">{text}</span></span>'
)


@register.simple_tag(takes_context=True)
def object_rows(context: Context, detail_base: str) -> SafeString:
    """Every object row of `page` (the folder table's <tbody> part between folders and pager)."""
    page = context["page"]
    can_write = bool(context.get("can_write"))
    words = _Words()
    deleted_row = None
    parts = []
    for number, obj in enumerate(page.objects, start=1):
        if obj.deleted:
            # As {% include %} does: the engine's own template, rendered in this context.
            engine = context.template.engine  # type: ignore[union-attr]  # set while rendering
            deleted_row = deleted_row or engine.get_template(DELETED_ROW)
            with context.push(obj=obj):
                parts.append("\n        " + deleted_row.render(context) + "\n      ")
            continue
        row = _row(obj, page, number, detail=escape(detail_base), words=words, can_write=can_write)
        parts.append("\n        " + row + "\n      ")
    return SafeString("".join(parts))


class _Words:
    """The row's fixed translated words, looked up once per page (in the active language)."""

    def __init__(self) -> None:
        self.public = escape(gettext("public"))
        self.public_title = escape(
            gettext("The latest public-exposure audit found this object public")
        )
        self.checking = escape(gettext("checking"))


def _row(
    obj: ObjectRow, page: Any, number: int, *, detail: str, words: _Words, can_write: bool
) -> str:
    name = escape(obj.name)
    pick = ""
    if can_write:
        # As {% blocktranslate %}: the value is escaped, the translation is not.
        label = gettext("Select %(name)s") % {"name": name}
        pick = _PICK.format(key=escape(obj.key), label=label)
    public = ""
    if obj.key in page.public_keys:
        public = _PUBLIC.format(title=words.public_title, text=words.public)
    restore = ""
    if obj.is_archived:
        restore = _RESTORE.format(cell=page.restore_cell_id(number), text=words.checking)
    return _ROW.format(
        pick=pick, detail=detail, quoted_key=obj.quoted_key, name=name, public=public,
        modified=obj.modified_text, storage_class=escape(obj.storage_class),
        size_title=obj.size_title, size_text=obj.size_text, restore=restore,
    )  # fmt: skip
