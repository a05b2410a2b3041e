"""The audit trail for admins: filters, pages, CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from objects_app.errors import require_valid
from objects_app.forms import AuditFilterForm
from objects_app.rendering import render_page_or_partial
from objects_app.roles import ADMIN, role_required
from objects_app.selectors import audit as selectors
from objects_app.streaming import streaming_response


@require_GET
@never_cache
@role_required(ADMIN)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = require_valid(AuditFilterForm(request.GET))
    events = selectors.audit_events(**form.cleaned_data)
    paginator = Paginator(events, settings.CONSOLE_AUDIT_PAGE_SIZE)
    page = paginator.get_page(form.cleaned_data["page"] or 1)
    context = {"form": form, "page": page, "actions": selectors.audit_actions()}
    return render_page_or_partial(
        request, "objects_app/audit_list.html", context, partials={"audit-table": "audit-table"}
    )


class _Echo:
    """csv.writer target that hands each line back instead of buffering it."""

    def write(self, value: str) -> str:
        return value


@require_GET
@never_cache
@role_required(ADMIN)
def audit_export(request: HttpRequest) -> HttpResponseBase:
    form = require_valid(AuditFilterForm(request.GET))
    writer = csv.writer(_Echo())
    rows = selectors.audit_csv_rows(selectors.audit_events(**form.cleaned_data))
    lines: Iterator[str] = (writer.writerow(row) for row in rows)
    response = streaming_response(request, lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
