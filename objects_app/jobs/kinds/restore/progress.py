"""What a campaign's progress panel says: the plan in words (counts and bytes per class, COS's
documented time for the chosen tier, what is left alone and why), then counts per state, a
progress bar and when it should end. Read from the job and campaign rows only (constant time)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from objects_app.jobs import display
from objects_app.jobs.kind import Action, ProgressView
from objects_app.jobs.kinds.restore.targets import tier_for
from objects_app.models import Job, JobState
from objects_app.restore_models import RestoreCampaign
from objects_app.services.restore_plan import Verdict

CAMPAIGN_LINK = gettext_lazy("Open the campaign page")


def progress_view(job: Job, params: Any) -> ProgressView:
    if job.phase == "plan":
        return _plan_view(job, params)
    campaign = RestoreCampaign.objects.filter(pk=job.pk).first() or RestoreCampaign(job=job)
    settled = campaign.ready + campaign.expired + campaign.failed
    lines = [state_counts(campaign)]
    if params.copy_to:
        lines.append(copy_counts(campaign, params))
    return ProgressView(
        status=_status(job, campaign), percent=display.percent(settled, job.total),
        lines=lines, poll_seconds=_poll(job), note=_eta(job, campaign),
    )  # fmt: skip


def state_counts(campaign: RestoreCampaign) -> str:
    return _(
        "%(queued)s queued, %(requested)s requested, %(in_progress)s in progress, "
        "%(ready)s ready, %(expired)s expired, %(failed)s failed"
    ) % {
        name: display.number(getattr(campaign, name))
        for name in ("queued", "requested", "in_progress", "ready", "expired", "failed")
    }


def copy_counts(campaign: RestoreCampaign, params: Any) -> str:
    return _("copies to %(cls)s: %(done)s done, %(pending)s waiting, %(failed)s failed") % {
        "cls": params.copy_to, "done": display.number(campaign.copied),
        "pending": display.number(campaign.copy_pending),
        "failed": display.number(campaign.copy_failed),
    }  # fmt: skip


def _status(job: Job, campaign: RestoreCampaign) -> str:
    if job.is_terminal:
        return display.state_label(job)
    if job.phase == "request":
        return _("Requesting restores: %(sent)s of %(total)s sent") % {
            "sent": display.number((job.total or 0) - campaign.queued),
            "total": display.number(job.total),
        }
    return _("Following until readable")


def _eta(job: Job, campaign: RestoreCampaign) -> str:
    if job.is_terminal:
        return ""
    if job.phase == "request":
        sent = (job.total or 0) - campaign.queued - job.done
        return display.eta(job, max(sent, 0), (job.total or 0) - job.done)
    if campaign.expected_by:
        return _(
            "By COS's documented times, the last object should be readable by about %(when)s UTC."
        ) % {"when": campaign.expected_by.strftime("%Y-%m-%d %H:%M")}
    return ""


def _poll(job: Job) -> int | None:
    """Every second while requests go out; every few seconds while it waits on COS."""
    if job.is_terminal:
        return None
    if job.phase == "request" or job.state == JobState.RUNNING:
        return 1
    return 5


# --- the plan --------------------------------------------------------------------------------


def _plan_view(job: Job, params: Any) -> ProgressView:
    if job.state != JobState.AWAITING_CONFIRM:
        checked = ngettext("%(n)s object checked", "%(n)s objects checked", job.done) % {
            "n": display.number(job.done)
        }
        if job.is_terminal:
            status = _("%(state)s during the dry run") % {"state": display.state_label(job)}
            return ProgressView(status=status, lines=[checked])
        return ProgressView(status=_("Dry run: checking each object…"), lines=[checked],
                            poll_seconds=display.poll_seconds(job))  # fmt: skip
    plan = job.plan
    lines = [class_line(cls, per, params) for cls, per in sorted(plan.get("classes", {}).items())]
    lines += left_alone(plan)
    actionable = int(plan.get("actionable") or 0)
    label = ngettext("Start: follow %(n)s object until readable",
                     "Start: follow %(n)s objects until readable", actionable) % {
        "n": display.number(actionable)
    }  # fmt: skip
    start = Action(reverse("objects:job-confirm", args=[job.pk]), label, (("choice", "start"),),
                   disabled=not actionable, name="restore-start")  # fmt: skip
    return ProgressView(status=_("Dry run done: confirm below"), lines=lines,
                        note=options_words(params), actions=[start])  # fmt: skip


def class_line(storage_class: str, per: dict[str, dict[str, int]], params: Any) -> str:
    """One archived class: what will be requested, in how long, and what is already done."""
    request = per.get(Verdict.REQUEST, {"objects": 0, "bytes": 0})
    tier = tier_for(params, storage_class)
    if request["objects"]:
        text = _("%(cls)s: %(n)s to request (%(size)s), %(tier)s tier, %(time)s") % {
            "cls": storage_class, "n": display.number(request["objects"]),
            "size": display.size(request["bytes"]), "tier": tier.label if tier else "",
            "time": tier.duration if tier else "",
        }  # fmt: skip
    else:
        text = _("%(cls)s: nothing to request") % {"cls": storage_class}
    restored = per.get(Verdict.RESTORED, {}).get("objects", 0)
    busy = per.get(Verdict.IN_PROGRESS, {}).get("objects", 0)
    if restored:
        text += "; " + ngettext("%(n)s already readable", "%(n)s already readable", restored) % {
            "n": display.number(restored)
        }
    if busy:
        text += "; " + ngettext(
            "%(n)s already being restored", "%(n)s already being restored", busy
        ) % {"n": display.number(busy)}
    return text


LEFT_ALONE = {
    Verdict.NOT_FOUND: lambda n: ngettext("%(n)s not found", "%(n)s not found", n),
    Verdict.NOT_ARCHIVED: lambda n: ngettext(
        "%(n)s not archived (readable already)", "%(n)s not archived (readable already)", n
    ),
    Verdict.DUPLICATE: lambda n: ngettext("%(n)s duplicate", "%(n)s duplicates", n),
    Verdict.INVALID: lambda n: ngettext("%(n)s invalid key", "%(n)s invalid keys", n),
    Verdict.IGNORED: lambda n: ngettext(
        "%(n)s blank or title line", "%(n)s blank or title lines", n
    ),
    Verdict.UNCHECKED: lambda n: ngettext(
        "%(n)s COS would not tell about", "%(n)s COS would not tell about", n
    ),
}


def left_alone(plan: dict[str, Any]) -> list[str]:
    """What is not requested, and why (each line of the report says more)."""
    parts = [
        words(n) % {"n": display.number(n)}
        for verdict, words in LEFT_ALONE.items()
        if (n := int(plan.get("verdicts", {}).get(verdict, 0)))
    ]
    other = int(plan.get("other_classes") or 0)
    if other:
        parts.append(
            ngettext("%(n)s object of another class", "%(n)s objects of other classes", other)
            % {"n": display.number(other)}
        )
    if not parts:
        return []
    return [_("Left alone: %(what)s.") % {"what": ", ".join(parts)}]


def options_words(params: Any) -> str:
    text = ngettext(
        "Each copy stays readable %(n)s day.", "Each copy stays readable %(n)s days.", params.days
    ) % {"n": params.days}
    if params.copy_to and params.copy_prefix:
        text += " " + _("Once readable, each object is copied to %(cls)s under %(prefix)s.") % {
            "cls": params.copy_to, "prefix": params.copy_prefix
        }  # fmt: skip
    elif params.copy_to:
        text += " " + _("Once readable, each object is copied onto itself as %(cls)s.") % {
            "cls": params.copy_to
        }
    return text
