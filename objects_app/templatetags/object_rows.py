"""The folder table's object rows, rendered in Python (issue 15, load goal).

A folder page has 100 to 1,000 of these rows, and each one costs the template engine a dozen
variable lookups, autoescapes and tags: profiled under the 20-user bench, the row loop was the
largest single cost of the page. `format_html` builds the same markup (every value escaped
unless it is already safe, like ObjectRow's display strings), as Django's admin builds its
change-list cells (`admin_list.items_for_result`). Rows of deleted keys, rare, keep their
template.
"""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from objects_app.selectors.browse import ObjectRow

register = template.Library()
DELETED_ROW = "objects_app/_deleted_row.html"

_ROW = (
    '<tr class="object-row">{pick}'
    '<td><a class="object-link" href="{detail}?key={quoted_key}"><svg class="icon"'
    ' aria-hidden="true"><use href="#icon-file"></use></svg><code class="key" translate="no">'
    "{name}</code></a>{public}\n"
    '<span class="row-meta" translate="no">{modified} · {storage_class}</span></td>'
    '<td class="num" title="{size_title}">{size_text}</td>'
    '<td class="col-modified" translate="no">{modified}</td>'
    '<td class="col-class" translate="no">{storage_class}</td>'
    '<td class="col-restore">{restore}</td></tr>'
)
_PICK = (
    '<td class="pick"><input type="checkbox" name="selected" value="{key}" form="bulk-form"'
    ' aria-label="{label}"></td>'
)
_PUBLIC = '<span class="public-marker" title="{title}">{text}</span>'
_RESTORE = (
    '<span id="{cell}" class="restore-cell muted">…'
    '<span class="visually-hidden">{text}</span></span>'
)  # fmt: skip


@register.simple_tag(takes_context=True)
def object_rows(context: Context, detail_base: str) -> SafeString:
    """Every object row of `page` (the folder table's <tbody> part between folders and pager)."""
    page = context["page"]
    can_write = bool(context.get("can_write"))
    detail = conditional_escape(detail_base)
    public = format_html(
        _PUBLIC,
        title=gettext("The latest public-exposure audit found this object public"),
        text=gettext("public"),
    )
    checking = gettext("checking")
    deleted_row = None
    rows = []
    for number, obj in enumerate(page.objects, start=1):
        if obj.deleted:
            # As {% include %} does: the engine's own template, rendered in this context.
            engine = context.template.engine  # type: ignore[union-attr]  # set while rendering
            deleted_row = deleted_row or engine.get_template(DELETED_ROW)
            with context.push(obj=obj):
                rows.append(deleted_row.render(context))
            continue
        restore = ""
        if obj.is_archived:
            restore = format_html(_RESTORE, cell=page.restore_cell_id(number), text=checking)
        rows.append(
            _row(
                obj,
                detail=detail,
                can_write=can_write,
                restore=restore,
                public=public if obj.key in page.public_keys else "",
            )  # fmt: skip
        )
    return mark_safe("\n".join(rows))  # each row is format_html's (or a template's) output


def _row(obj: ObjectRow, *, detail: str, can_write: bool, restore: str, public: str) -> str:
    pick = ""
    if can_write:
        pick = format_html(
            _PICK, key=obj.key, label=gettext("Select %(name)s") % {"name": obj.name}
        )
    return format_html(
        _ROW, pick=pick, detail=detail, quoted_key=obj.quoted_key, name=obj.name, public=public,
        modified=obj.modified_text, storage_class=obj.storage_class, size_title=obj.size_title,
        size_text=obj.size_text, restore=restore,
    )  # fmt: skip
