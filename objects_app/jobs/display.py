"""Words and numbers for progress views, formatted for the reader's language."""

from __future__ import annotations

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from objects_app.models import Job, JobState


def number(n: int | None) -> str:
    return str(intcomma(int(n or 0)))


def size(n: int | None) -> str:
    return str(filesizeformat(int(n or 0)))


def objects(n: int | None) -> str:
    return ngettext("%(n)s object", "%(n)s objects", int(n or 0)) % {"n": number(n)}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


def rate(job: Job, amount: int) -> float | None:
    """Units per second since the job started (None before it started)."""
    elapsed = job.duration_seconds
    if not elapsed or amount <= 0:
        return None
    return amount / elapsed


def eta(job: Job, done: int, total: int | None) -> str:
    """'about 2 min left', only while running with a known total and a measurable rate."""
    if job.state != JobState.RUNNING or not total or done <= 0:
        return ""
    per_second = rate(job, done)
    if not per_second:
        return ""
    remaining = max(total - done, 0) / per_second
    return _("about %(time)s left") % {"time": duration(remaining)}


def percent(done: int, total: int | None) -> int | None:
    if not total:
        return None
    return max(0, min(100, int(100 * done / total)))


def poll_seconds(job: Job) -> int | None:
    """Poll every second while a worker has it or will; never once it ended."""
    if job.is_active:
        return 1
    return None


def state_label(job: Job) -> str:
    return str(JobState(job.state).label)
