"""A Celery job end to end: the view queues it, a real worker on a real Redis runs it against
coslocal, and the result lands in the Job row the progress partial renders."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from objects_app.models import Job, JobState

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]


def wait_for_terminal(job_id: int, timeout: float = 60.0) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = Job.objects.get(pk=job_id)
        if job.is_terminal:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.state} after {timeout}s"
        time.sleep(0.2)


def test_prefix_summary_runs_in_a_worker_and_reports(
    client, bob, celery_worker_process, cos_client, paged_bucket
) -> None:
    client.force_login(bob)
    url = reverse("objects:prefix-summary", args=[paged_bucket])
    response = client.post(url, {"prefix": "many/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    job = Job.objects.get()
    assert f'hx-get="{reverse("objects:job-detail", args=[job.pk])}"' in response.content.decode()

    job = wait_for_terminal(job.pk)
    expected = list(cos_client.iter_objects(Bucket=paged_bucket, Prefix="many/"))
    assert job.state == JobState.SUCCEEDED
    assert job.result == {"objects": len(expected), "bytes": sum(int(o["Size"]) for o in expected)}
    assert job.result["objects"] == 120
    assert job.user == bob

    partial = client.get(reverse("objects:job-detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "Succeeded" in body and "120 objects" in body
    assert "hx-trigger" not in body  # polling stops once the job is terminal


def test_prefix_summary_of_missing_bucket_fails_with_a_message(
    client, bob, celery_worker_process
) -> None:
    client.force_login(bob)
    client.post(reverse("objects:prefix-summary", args=["gone-1250000000"]), {"prefix": ""})
    job = wait_for_terminal(Job.objects.get().pk)
    assert job.state == JobState.FAILED
    assert "NoSuchBucket" in job.error_message


def test_jobs_of_other_users_are_hidden(client, alice, bob) -> None:
    job = Job.objects.create(kind="prefix_summary", user=alice, bucket="b-1250000000")
    client.force_login(bob)
    assert client.get(reverse("objects:job-detail", args=[job.pk])).status_code == 404
