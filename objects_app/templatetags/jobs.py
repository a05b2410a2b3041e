"""Template helpers of the jobs area: one job's panel (the kind's view, with the actions the
user may take), so every template that shows a job needs nothing but the job."""

from __future__ import annotations

from typing import Any

from django import template

from objects_app.selectors.jobs import JobPanel
from objects_app.selectors.jobs import job_panel as _job_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def job_panel(context: template.Context, job: Any) -> JobPanel:
    return _job_panel(job, context["request"].user)
