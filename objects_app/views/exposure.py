"""Public-exposure audits: the runs of a bucket, one run's report (filters, pages, CSV)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from objects_app import keys
from objects_app.errors import require_valid
from objects_app.jobs import actions
from objects_app.jobs.kinds.exposure_audit import exposure_audit_start
from objects_app.jobs.kinds.make_private import NAME as MAKE_PRIVATE
from objects_app.jobs.kinds.make_private import make_private_start
from objects_app.models import Job
from objects_app.rendering import render_page_or_partial
from objects_app.roles import ADMIN, OPERATOR, VIEWER, has_role, role_required
from objects_app.selectors import exposure as selectors
from objects_app.selectors.audit import FORMULA_START
from objects_app.views.jobs import PROGRESS, STARTED

REPORT = "objects_app/exposure_report.html"
CSV_COLUMNS = ("key", "version_id", "is_latest", "status", "new", "reason", "detail")


class ReportForm(forms.Form):
    show = forms.ChoiceField(required=False, choices=[(k, k) for k in selectors.SHOW])
    reason = forms.ChoiceField(
        required=False, choices=[("", "")] + [(k, k) for k in selectors.REASONS]
    )
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    after = forms.CharField(required=False, strip=False, max_length=2000)

    def clean_prefix(self) -> str:
        return _prefix(self.cleaned_data["prefix"])

    def clean_after(self) -> str:
        value = self.cleaned_data["after"]
        try:
            selectors.decode_cursor(value) if value else None
        except ValueError:
            raise forms.ValidationError(_("This is not a page of this report.")) from None
        return value

    def report_filter(self) -> selectors.ReportFilter:
        data = self.cleaned_data
        return selectors.ReportFilter(
            show=data["show"] or "public", reason=data["reason"], prefix=data["prefix"],
            after=data["after"],
        )  # fmt: skip


def _audit(job_id: int) -> Job:
    return get_object_or_404(Job, pk=job_id, kind=selectors.AUDIT_KIND)


@require_GET
@never_cache
@role_required(VIEWER)
def exposure_audits(request: HttpRequest, bucket: str) -> HttpResponse:
    runs = selectors.audit_runs(bucket)
    context = {
        "bucket": bucket, "runs": runs, "can_start": has_role(request.user, OPERATOR),
        "can_fix": has_role(request.user, ADMIN),
    }  # fmt: skip
    return render_page_or_partial(request, "objects_app/exposure_audits.html", context, partials={})


@require_GET
@never_cache
@role_required(VIEWER)
def exposure_report(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _audit(job_id)
    flt = require_valid(ReportForm(request.GET)).report_filter()
    page = selectors.report_page(job=job, flt=flt)
    context = {
        "job": job, "bucket": job.bucket, "page": page, "can_fix": has_role(request.user, ADMIN),
        "show_choices": list(selectors.SHOW.items()),
    }  # fmt: skip
    return render_page_or_partial(
        request,
        REPORT,
        context,
        partials={
            "report-live": "report-live",
            "report-table": "report-table",
            "report-more": "report-rows",
        },
    )


@require_GET
@role_required(VIEWER)
def exposure_report_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = _audit(job_id)
    flt = require_valid(ReportForm(request.GET)).report_filter()
    response = StreamingHttpResponse(_csv_lines(job, flt), content_type="text/csv; charset=utf-8")
    name = f"exposure-{job.bucket}-{job.pk}-{flt.show}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class _Line:
    """csv.writer target that hands back the line it was given."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(job: Job, flt: selectors.ReportFilter) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for row in selectors.report_rows(job=job, flt=flt):
        values = [row.key, row.version_id, str(int(row.is_latest)), row.status, str(int(row.new)),
                  row.reason, row.detail]  # fmt: skip
        # A key such as "=cmd|..." must not run as a formula in a spreadsheet (as the audit log).
        yield writer.writerow(["'" + v if v.startswith(FORMULA_START) else v for v in values])


class AuditStartForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    versions = forms.BooleanField(required=False)

    def clean_prefix(self) -> str:
        return _prefix(self.cleaned_data["prefix"])


class MakePrivateForm(AuditStartForm):
    audit = forms.IntegerField(required=False, min_value=1)
    reason = forms.ChoiceField(
        required=False, choices=[("", "")] + [(k, k) for k in selectors.REASONS]
    )


def _prefix(value: str) -> str:
    try:
        return keys.check_prefix(value, _("prefix"))
    except keys.NameRuleError as exc:
        raise forms.ValidationError(str(exc)) from None


@require_POST
@role_required(OPERATOR)  # read-only for COS, but it costs a request per object
def audit_start(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(AuditStartForm(request.POST)).cleaned_data
    job = exposure_audit_start(user=request.user, bucket=bucket, prefix=data["prefix"],
                               versions=data["versions"])  # fmt: skip
    return HttpResponseClientRedirect(reverse("objects:exposure-report", args=[job.pk]))


@require_POST
@role_required(ADMIN)
def make_private(request: HttpRequest, bucket: str) -> HttpResponse:
    """The dry run of making an audit's public set (or everything under a prefix) private."""
    data = require_valid(MakePrivateForm(request.POST)).cleaned_data
    audit = _audit(data["audit"]) if data["audit"] else None
    job = make_private_start(user=request.user, bucket=bucket, audit=audit,
                             prefix=data["prefix"], reason=data["reason"])  # fmt: skip
    response = render(request, PROGRESS, {"job": job, "in_dialog": True})
    return trigger_client_event(response, STARTED)


@require_POST
@role_required(ADMIN)
def make_private_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id, kind=MAKE_PRIVATE)
    choice = request.POST.get("choice", "")
    job = actions.job_confirm(user=request.user, job=job, choice=choice, kind_name=MAKE_PRIVATE)
    return trigger_client_event(render(request, PROGRESS, {"job": job}), STARTED)
