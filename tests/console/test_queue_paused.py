"""Without the job queue (Redis down), the console keeps working and job pages say jobs are paused
(issue 15); when the queue is back, the banner goes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from objects_app.models import Job, JobKind, JobState
from objects_app.selectors.queue import queue_available, queue_forget
from stack.net import free_port
from tests.console.conftest import SCRATCH_BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")
PAUSED = "Jobs are paused: the job queue is not reachable"


@pytest.fixture
def queue_down(settings):  # type: ignore[no-untyped-def]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    queue_forget()
    yield
    queue_forget()


@pytest.fixture
def running_job(alice) -> Job:  # type: ignore[no-untyped-def]
    return Job.objects.create(
        kind=JobKind.DELETE, user=alice, bucket=SCRATCH_BUCKET, prefix="x/", state=JobState.QUEUED
    )


def test_job_pages_say_jobs_are_paused_while_the_queue_is_down(
    client, alice, running_job, queue_down
):
    client.force_login(alice)
    assert PAUSED in client.get(reverse("objects:job-list")).content.decode()
    detail = client.get(
        reverse("objects:job-detail", args=[running_job.pk]), HTTP_HX_REQUEST="true"
    )
    assert PAUSED in detail.content.decode() and 'id="queue-paused"' in detail.content.decode()


def test_browsing_object_pages_and_downloads_work_without_the_queue(
    client, bob, cos_client, scratch, queue_down
):
    key = f"{scratch}doc.txt"
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"still here")
    client.force_login(bob)
    listing = client.get(reverse("objects:object-list", args=[SCRATCH_BUCKET]), {"prefix": scratch})
    assert listing.status_code == 200 and "doc.txt" in listing.content.decode()
    page = client.get(reverse("objects:object-detail", args=[SCRATCH_BUCKET]), {"key": key})
    assert page.status_code == 200 and PAUSED not in page.content.decode()
    download = client.get(reverse("objects:object-download", args=[SCRATCH_BUCKET]), {"key": key})
    assert b"".join(download.streaming_content) == b"still here"


def test_no_banner_when_the_queue_answers(client, alice, running_job, redis_server, settings):
    settings.CELERY_BROKER_URL = redis_server.url
    queue_forget()
    assert queue_available()
    client.force_login(alice)
    assert PAUSED not in client.get(reverse("objects:job-list")).content.decode()
    queue_forget()
