"""Telling a campaign's owner it ended: a notification in the console (the header shows it on
every page), and an email when Django's email settings are configured. Once per campaign."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from objects_app.models import Job
from objects_app.restore_models import Notification, RestoreCampaign

log = logging.getLogger(__name__)


def campaign_notify(job: Job) -> bool:
    """Record the notification (and send the email) once; False if it was already done."""
    if job.user is None:
        return False
    claimed = RestoreCampaign.objects.filter(pk=job.pk, notified_at=None).update(
        notified_at=timezone.now()
    )
    if claimed != 1:
        return False
    Notification.objects.create(user=job.user, job=job)
    if settings.CONSOLE_EMAIL_ENABLED and job.user.email:
        _email(job)
    return True


def campaign_words(job: Job) -> str:
    """The notification's text, in the reader's language."""
    campaign = RestoreCampaign.objects.filter(pk=job.pk).first() or RestoreCampaign(job=job)
    label = str(job.params.get("label", ""))
    if campaign.failed == 0:
        text = _("Restore campaign #%(id)s (%(what)s): all %(n)s objects are readable.")
    else:
        text = _(
            "Restore campaign #%(id)s (%(what)s) ended: %(ready)s of %(n)s objects readable, "
            "%(failed)s failed."
        )
    return text % {
        "id": job.pk, "what": label or job.bucket, "n": f"{job.total or 0:,}",
        "ready": f"{campaign.ready + campaign.expired:,}", "failed": f"{campaign.failed:,}",
    }  # fmt: skip


def _email(job: Job) -> None:
    assert job.user is not None  # checked by campaign_notify
    with translation.override(settings.LANGUAGE_CODE):
        subject = campaign_words(job)
        path = reverse("objects:restore-campaign", args=[job.pk])
        link = (
            f"{settings.CONSOLE_PUBLIC_URL.rstrip('/')}{path}"
            if settings.CONSOLE_PUBLIC_URL
            else path
        )
        body = "\n\n".join([subject, _("Bucket: %(bucket)s") % {"bucket": job.bucket},
                            _("The campaign page: %(link)s") % {"link": link}])  # fmt: skip
    try:
        send_mail(subject, body, None, [job.user.email])
    except Exception:  # the console notification stands; email is a courtesy
        log.exception("restore campaign %s: the email to its owner failed", job.pk)
