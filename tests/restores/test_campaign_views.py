"""The Restore… dialog, the plan request and its refusals (nothing sent to COS, no job made),
the campaign page (counts, state filter, pages after a line, CSV) and notifications."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from objects_app.models import Job, JobState
from objects_app.restore_models import Notification, RestoreCampaign, RestoreTarget
from tests.restores.conftest import seed_objects

HTMX = {"HTTP_HX_REQUEST": "true"}
OPTIONS = {"days": "3", "tier_archive": "Bulk", "tier_deep_archive": "Standard", "rate": "40"}


@pytest.fixture(autouse=True)
def _no_broker(settings):  # type: ignore[no-untyped-def]
    """Jobs are planned but not run here: their task message goes nowhere (the sweep would send
    it), so the tests see exactly what the request stored."""
    from console.celery import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    app.conf.broker_url = "redis://127.0.0.1:1/0"


def post_plan(client, bucket, data, **extra):  # type: ignore[no-untyped-def]
    return client.post(reverse("objects:restore-plan", args=[bucket]), data, **HTMX, **extra)


# --- the dialog -------------------------------------------------------------------------------


@pytest.mark.usefixtures("restore_cos")
def test_the_dialog_offers_only_the_tiers_cos_accepts_with_their_times(
    client, alice, archive_bucket
):
    client.force_login(alice)
    url = reverse("objects:restore-dialog", args=[archive_bucket])
    body = client.post(
        url, {"source": "folder", "prefix": "logs/", "storage_class": "DEEP_ARCHIVE"}, **HTMX
    )
    body = body.content.decode()
    archive = re.search(r'<select name="tier_archive".*?</select>', body, re.S).group(0)
    deep = re.search(r'<select name="tier_deep_archive".*?</select>', body, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", archive) == [
        "Expedited — about 1–5 minutes", "Standard — about 3–5 hours", "Bulk — about 5–12 hours",
    ]  # fmt: skip
    assert re.findall(r">([^<]+)</option>", deep) == [
        "Standard — about 12–24 hours", "Bulk — about 24–48 hours",
    ]  # fmt: skip
    assert "of class DEEP_ARCHIVE, in every subfolder." in body
    assert '<input type="hidden" name="storage_class" value="DEEP_ARCHIVE">' in body


@pytest.mark.usefixtures("restore_cos")
def test_a_selection_dialog_carries_the_keys(client, alice, archive_bucket):
    client.force_login(alice)
    url = reverse("objects:restore-dialog", args=[archive_bucket])
    data = {
        "source": "selection",
        "prefix": "a/",
        "selected": ["a/1", "a/2", "a/1"],
        "selected_folders": ["a/sub/"],
    }
    body = client.post(url, data, **HTMX).content.decode()
    assert "2 objects selected, and everything archived in 1 folder." in body
    assert body.count('name="selected" value="a/') == 2


@pytest.mark.usefixtures("restore_cos")
def test_a_class_filter_without_archived_classes_is_refused(client, alice, archive_bucket):
    client.force_login(alice)
    url = reverse("objects:restore-dialog", args=[archive_bucket])
    response = client.post(url, {"source": "folder", "storage_class": "STANDARD"}, **HTMX)
    assert response.status_code == 422
    assert "shows no archived class" in response.content.decode()


def test_viewers_cannot_restore(client, bob, restore_cos, archive_bucket):
    client.force_login(bob)
    response = post_plan(client, archive_bucket, {"source": "folder", **OPTIONS})
    assert response.status_code == 403


# --- refused before anything is sent ------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"days": "0"}, "days", "Ensure this value is greater than or equal to 1."),
        ({"days": "366"}, "days", "Ensure this value is less than or equal to 365."),
        (
            {"tier_deep_archive": "Expedited"},
            "tier_deep_archive",
            "COS does not accept the Expedited tier for DEEP_ARCHIVE objects; "
            "choose one of: Standard, Bulk.",
        ),
        ({"tier_archive": "Glacier"}, "tier_archive", "COS does not accept the Glacier tier"),
        ({"rate": "101"}, "rate", "Ensure this value is less than or equal to 100."),
    ],
)
def test_options_cos_would_refuse_are_refused_before_anything_is_sent(
    client, alice, restore_cos, archive_bucket, count_requests, change, field, message
):
    seed_objects(restore_cos, archive_bucket, [("cold", "ARCHIVE", 1)])
    client.force_login(alice)
    posts = count_requests("POST")
    data = {"source": "selection", "selected": ["cold"], **OPTIONS, **change}
    response = post_plan(client, archive_bucket, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 422
    assert message in " ".join(response.json()["fields"][field])
    assert posts.stop() == 0
    assert not Job.objects.filter(kind="restore").exists()


def csv_upload(data: bytes, name: str = "keys.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.mark.parametrize(
    "data, limits, status, message",
    [
        (
            b"k\n" * 1_000_000,
            {},
            413,
            "The file has 1,000,000 lines; a campaign takes at most 100,000. Split it.",
        ),
        (
            b"a\n" * 2000,
            {"CONSOLE_RESTORE_CSV_MAX_BYTES": 1024},
            413,
            "The file is 3.9\xa0KB; the limit is 1.0\xa0KB. Split it into smaller files.",
        ),
        ("名字\n".encode("gbk"), {}, 422, "The file is not UTF-8 text"),
        (b"\n\n", {}, 422, "The file has no keys."),
    ],
)
def test_csv_files_refused_whole(  # noqa: PLR0913
    client,
    alice,
    restore_cos,
    archive_bucket,
    count_requests,
    settings,
    data,
    limits,
    status,
    message,
):
    for name, value in limits.items():
        setattr(settings, name, value)
    client.force_login(alice)
    heads = count_requests("HEAD")
    response = post_plan(
        client, archive_bucket, {"source": "csv", "csv_file": csv_upload(data), **OPTIONS}
    )
    assert response.status_code == status
    assert message in response.content.decode()
    assert heads.stop() == 0
    assert not Job.objects.filter(kind="restore").exists()


def test_a_csv_without_a_file_is_refused(client, alice, restore_cos, archive_bucket):
    client.force_login(alice)
    response = post_plan(client, archive_bucket, {"source": "csv", **OPTIONS})
    assert response.status_code == 422 and "Choose a CSV file of keys." in response.content.decode()


def test_a_csv_plan_keeps_every_line_with_its_early_verdict(
    client, alice, restore_cos, archive_bucket, count_requests
):
    client.force_login(alice)
    heads = count_requests("HEAD")
    data = b"key\nphotos/a.jpg\n/bad\nphotos/a.jpg\n\nphotos/b.jpg\n"
    response = post_plan(
        client,
        archive_bucket,
        {"source": "csv", "csv_file": csv_upload(data, "batch-7.csv"), **OPTIONS},
    )
    assert response.status_code == 200
    assert heads.stop() == 0  # looking things up is the dry run's work, in the worker
    job = Job.objects.get(kind="restore")
    assert job.params["label"] == "batch-7.csv" and job.params["tier_archive"] == "Bulk"
    assert (job.params["days"], job.params["rate"], job.phase) == (3, 40, "plan")
    rows = list(
        RestoreTarget.objects.filter(job=job)
        .order_by("seq")
        .values_list("seq", "key", "verdict", "detail", "state")
    )
    assert rows == [
        (1, "key", "ignored", "header", "skipped"), (2, "photos/a.jpg", "", "", "queued"),
        (3, "/bad", "invalid", "", "skipped"), (4, "photos/a.jpg", "duplicate", "2", "skipped"),
        (5, "", "ignored", "blank", "skipped"), (6, "photos/b.jpg", "", "", "queued"),
    ]  # fmt: skip
    assert f'id="job-{job.pk}"' in response.content.decode()
    assert "cos-job-started" in response["HX-Trigger"]


# --- the campaign page -------------------------------------------------------------------------


def make_campaign(user, n: int, **fields) -> Job:  # type: ignore[no-untyped-def]
    values = {"state": JobState.QUEUED, **fields}
    job = Job.objects.create(
        kind="restore", phase="track", bucket="b-1250000000", user=user,
        params={"label": "logs/", "days": 1}, total=n, **values,
    )  # fmt: skip
    states = ["queued", "requested", "in_progress", "ready", "failed"]
    RestoreTarget.objects.bulk_create(
        RestoreTarget(
            job=job,
            seq=i + 1,
            key=f"logs/{i:06d}",
            storage_class="ARCHIVE",
            size=10,
            state=states[i % 5],
            verdict="request",
            error_code="NoSuchKey" if states[i % 5] == "failed" else "",
        )  # fmt: skip
        for i in range(n)
    )
    per = n // 5
    RestoreCampaign.objects.create(
        job=job, queued=per, requested=per, in_progress=per, ready=per, failed=per
    )
    return job


def test_campaign_page_counts_filter_and_pages(client, alice):
    job = make_campaign(alice, 250)
    client.force_login(alice)
    url = reverse("objects:restore-campaign", args=[job.pk])
    body = client.get(url).content.decode()
    counts = dict(
        re.findall(r'data-state="(\w+)"[^>]*>[^<]+<span class="count">([\d,]+)</span>', body)
    )
    assert counts == {"queued": "50", "requested": "50", "in_progress": "50", "ready": "50",
                      "expired": "0", "failed": "50", "skipped": "0"}  # fmt: skip
    assert body.count('<tr class="target-') == 100
    failed = client.get(
        url, {"state": "failed"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="campaign-body"
    ).content.decode()
    assert "<html" not in failed
    keys = re.findall(r'<code class="key" translate="no">(logs/\d+)</code>', failed)
    assert len(keys) == 50 and keys[0] == "logs/000004"
    assert "The object is gone (deleted since the plan)." in failed
    assert 'id="campaign-next"' not in failed
    page2 = client.get(url, {"after": 100}).content.decode()
    assert (
        re.findall(r'<code class="key" translate="no">(logs/\d+)</code>', page2)[0] == "logs/000100"
    )
    assert f"Restore campaign #{job.pk}" in body and "Open the campaign page" not in body
    # The jobs area's own page of the job links to the campaign page.
    generic = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert f'<a class="job-link" href="{url}">Open the campaign page</a>' in generic


def test_campaign_page_costs_the_same_queries_for_10_or_5000_objects(client, alice):
    small, large = make_campaign(alice, 10), make_campaign(alice, 5000)
    client.force_login(alice)
    counts = []
    for job in (small, large):
        url = reverse("objects:restore-campaign", args=[job.pk])
        client.get(url)  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    plans = [q["sql"] for q in queries.captured_queries if "restoretarget" in q["sql"].lower()]
    assert all("OFFSET" not in sql and "COUNT(" not in sql.upper() for sql in plans), plans


def test_campaign_csv_streams_every_object_key_first(client, alice):
    job = make_campaign(alice, 2500)
    client.force_login(alice)
    response = client.get(reverse("objects:restore-csv", args=[job.pk]), {"state": "ready"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert (
        lines[0] == "key,line,storage_class,size,state,expiry,note,error,copy,copy_key,copy_error"
    )
    assert len(lines) == 1 + 500
    assert lines[1] == "logs/000003,4,ARCHIVE,10,ready,,,,,,"
    assert response["Content-Disposition"] == f'attachment; filename="restore-{job.pk}-ready.csv"'


def test_campaign_pages_are_the_owners(client, alice, bob):
    job = make_campaign(alice, 5)
    client.force_login(bob)
    assert client.get(reverse("objects:restore-campaign", args=[job.pk])).status_code == 404
    other = Job.objects.create(
        kind="prefix_summary",
        phase="count",
        bucket="b-1250000000",
        user=alice,
        params={"prefix": ""},
    )
    client.force_login(alice)
    assert client.get(reverse("objects:restore-campaign", args=[other.pk])).status_code == 404


def test_notifications_badge_and_list(client, alice):
    job = make_campaign(alice, 5, state=JobState.SUCCEEDED)
    Notification.objects.create(user=alice, job=job)
    client.force_login(alice)
    badge = client.get(reverse("objects:notification-badge"), **HTMX).content.decode()
    assert '<span class="badge">1<span class="visually-hidden"> unread</span></span>' in badge
    assert "load," not in badge  # only the first render asks at once; then every 30 s
    page = client.get(reverse("objects:notification-list")).content.decode()
    assert f"Restore campaign #{job.pk} (logs/) ended" in page
    assert Notification.objects.get(job=job).read_at is not None
    badge = client.get(reverse("objects:notification-badge"), **HTMX).content.decode()
    assert 'class="badge"' not in badge
