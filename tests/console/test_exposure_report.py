"""The public-exposure report: filters, pages by key, totals, the diff with the previous run,
CSV, each bucket's last audit on the buckets page and the "public" marks of a folder listing.

Findings are written directly here (the scan itself is tested in test_exposure_scan.py and,
through a real worker, in tests/jobs/test_exposure_audit.py).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from objects_app.models import ExposureFinding, Job
from objects_app.selectors.exposure import AUDIT_KIND, PAGE_SIZE, cursor_of

pytestmark = pytest.mark.usefixtures("console_cos")
HTMX = {"HTTP_HX_REQUEST": "true"}


def audit(bucket: str, prefix: str = "", **totals: int) -> Job:
    full = {"public": 0, "unknown": 0, "new": 0, "was_public": 0, "by_reason": {}} | totals
    return Job.objects.create(
        kind=AUDIT_KIND,
        bucket=bucket,
        state="succeeded",
        params={"prefix": prefix},
        done=totals.get("scanned", 0),
        finished_at=timezone.now(),
        result={"totals": full},
    )


def finding(job: Job, key: str, status: str = "public", reason: str = "object-acl", **kw) -> None:  # type: ignore[no-untyped-def]
    ExposureFinding.objects.create(
        job=job, key=key, status=status, reason=reason, detail=kw.pop("detail", "public-read"), **kw
    )


def test_report_pages_by_key_and_filters(client, bob):  # type: ignore[no-untyped-def]
    job = audit("rep-1250000000", public=250, by_reason={"object-acl": 200, "policy-allow": 50})
    ExposureFinding.objects.bulk_create(
        ExposureFinding(
            job=job,
            key=f"k/{n:04d}",
            status="public",
            reason="object-acl" if n % 5 else "policy-allow",
            detail="d",
        )
        for n in range(250)
    )
    finding(job, "z/unreadable", "unknown", "acl-unreadable", detail="403 AccessDenied")
    client.force_login(bob)
    url = reverse("objects:exposure-report", args=[job.pk])
    text = client.get(url).content.decode()
    assert text.count('class="finding finding-public"') == PAGE_SIZE
    assert (
        "200 through the object&#x27;s ACL" in text
        and "50 through a bucket policy statement" in text
    )
    after = cursor_of(ExposureFinding.objects.get(job=job, key=f"k/{PAGE_SIZE - 1:04d}"))
    assert f"after={after}" in text  # the page's own load-more link
    more = client.get(url, {"after": after}, HTTP_HX_TARGET="report-more", **HTMX)
    rows = more.content.decode()
    assert "<html" not in rows and "k/0100" in rows and "k/0099" not in rows
    only_policy = client.get(url, {"reason": "policy-allow"}).content.decode()
    assert only_policy.count('class="finding finding-public"') == 50
    prefixed = client.get(url, {"prefix": "k/01"}).content.decode()
    assert prefixed.count('class="finding finding-public"') == 100
    unknown = client.get(url, {"show": "unknown"}).content.decode()
    assert "z/unreadable" in unknown and "403 AccessDenied" in unknown


def test_csv_has_every_filtered_row(client, bob):  # type: ignore[no-untyped-def]
    job = audit("rep-1250000000")
    for n in range(5):
        finding(job, f"a/{n}")
    finding(job, "=cmd|calc", detail="READ qcs::cam::anyone:anyone")
    client.force_login(bob)
    response = client.get(reverse("objects:exposure-report-csv", args=[job.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["key", "version_id", "is_latest", "status", "new", "reason", "detail"]
    assert [r[0] for r in rows[1:]] == ["'=cmd|calc", "a/0", "a/1", "a/2", "a/3", "a/4"]
    assert rows[2][3:] == ["public", "0", "object-acl", "public-read"]


def test_diff_with_the_previous_run(client, bob):  # type: ignore[no-untyped-def]
    first = audit("rep-1250000000", public=2)
    second = audit("rep-1250000000", public=2, new=1, was_public=1)
    second.result["previous"] = first.pk
    second.save()
    finding(second, "stays")
    finding(second, "fresh", new=True)
    finding(second, "gone", "was_public")
    client.force_login(bob)
    url = reverse("objects:exposure-report", args=[second.pk])
    text = client.get(url).content.decode()
    assert "1 became public, 1 stopped being public" in text
    new = client.get(url, {"show": "new"}).content.decode()
    assert "fresh" in new and "stays" not in new
    gone = client.get(url, {"show": "was_public"}).content.decode()
    assert "gone" in gone and "fresh" not in gone


def test_buckets_page_and_folder_listing_show_the_latest_audit(client, bob, cos_client):  # type: ignore[no-untyped-def]
    bucket = "marks-1250000000"
    if not cos_client.bucket_exists(bucket):
        cos_client.create_bucket(Bucket=bucket)
    for key in ("pub/open.txt", "pub/closed.txt"):
        cos_client.put_object(Bucket=bucket, Key=key, Body=b"x")
    old = audit(bucket, public=9)
    finding(old, "pub/closed.txt")
    latest = audit(bucket, public=1)
    finding(latest, "pub/open.txt")
    client.force_login(bob)
    buckets = client.get(reverse("objects:bucket-list")).content.decode()
    assert f'href="/exposure/{latest.pk}/"' in buckets and ": 1 public" in buckets
    listing = client.get(reverse("objects:object-list", args=[bucket]), {"prefix": "pub/"})
    text = listing.content.decode()
    row_open = text[text.index("open.txt") :][:400]
    row_closed = text[text.index("closed.txt") :][:400]
    assert 'class="public-marker"' in row_open
    assert 'class="public-marker"' not in row_closed
    # an audit of another prefix does not speak for this folder
    audit(bucket, prefix="other/", public=0)
    text = client.get(
        reverse("objects:object-list", args=[bucket]), {"prefix": "pub/"}
    ).content.decode()
    assert 'class="public-marker"' in text[text.index("open.txt") :][:400]


def test_viewers_see_reports_and_outsiders_do_not(client, charlie, bob):  # type: ignore[no-untyped-def]
    job = audit("rep-1250000000")
    client.force_login(charlie)
    assert client.get(reverse("objects:exposure-report", args=[job.pk])).status_code == 403
    client.force_login(bob)
    assert client.get(reverse("objects:exposure-report", args=[job.pk])).status_code == 200
    assert client.get(reverse("objects:exposure-report", args=[job.pk + 999])).status_code == 404
    bad = client.get(reverse("objects:exposure-report", args=[job.pk]), {"after": "%%%"})
    assert bad.status_code == 422


def test_the_prefix_filter_is_exact_and_case_sensitive(client, bob):  # type: ignore[no-untyped-def]
    job = audit("rep-1250000000")
    for key in ("a/1", "A/2", "a/\U0010ffff", "a0", "b/1", "ab"):
        finding(job, key)
    client.force_login(bob)
    url = reverse("objects:exposure-report", args=[job.pk])
    text = client.get(url, {"prefix": "a/"}).content.decode()
    shown = re.findall(r'<code class="key" translate="no">([^<]*)</code></a>', text)
    assert shown == ["a/1", "a/\U0010ffff"]
