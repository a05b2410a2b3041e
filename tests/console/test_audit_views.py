"""The admins' audit page: filters, pages, CSV export; the trail is append-only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from objects_app.models import AuditEvent
from objects_app.services.audit import audit_record


@pytest.fixture
def dora(db) -> User:  # type: ignore[no-untyped-def]
    user = User.objects.create_user(username="dora", password="pw-dora")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


@pytest.fixture
def trail(alice, bob) -> None:  # type: ignore[no-untyped-def]
    audit_record(user=alice, action="object.delete", bucket="a-1250000000", key="x/1.txt")
    audit_record(
        user=alice, action="object.copy", bucket="a-1250000000", key="x/2.txt",
        outcome="error", request_id="REQ-42", detail="403 AccessDenied: no",
    )  # fmt: skip
    audit_record(user=bob, action="object.share", bucket="b-1250000000", key="=cmd|' /C calc'!A0")
    old = audit_record(user=bob, action="object.delete", bucket="b-1250000000", key="old.txt")
    AuditEvent.objects.filter(pk=old.pk).update(at=dt.datetime(2020, 1, 2, 12, tzinfo=dt.UTC))


def rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The Action cell of each row, in order."""
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)[2]
        for r in response.content.decode().split('class="audit-row')[1:]
    ]


def test_audit_page_lists_newest_first(client, dora, trail):
    client.force_login(dora)
    response = client.get(reverse("objects:audit-list"))
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert "4 events" in body
    assert rows(response) == ["object.share", "object.copy", "object.delete", "object.delete"]
    assert "REQ-42" in body and "403 AccessDenied: no" in body


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"user": "bob"}, 2),
        ({"action": "object.delete"}, 2),
        ({"bucket": "a-1250000000"}, 2),
        ({"outcome": "error"}, 1),
        ({"date_from": "2020-01-02", "date_to": "2020-01-02"}, 1),
        ({"date_to": "2020-01-01"}, 0),
        ({"user": "alice", "outcome": "ok"}, 1),
    ],
)
def test_audit_filters(client, dora, trail, query, expected):
    client.force_login(dora)
    response = client.get(reverse("objects:audit-list"), query)
    assert len(rows(response)) == expected


def test_audit_filter_htmx_partial(client, dora, trail):
    client.force_login(dora)
    response = client.get(
        reverse("objects:audit-list"), {"user": "bob"},
        HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-table",
    )  # fmt: skip
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<section id="audit-table">')
    assert len(rows(response)) == 2


def test_audit_pages(client, dora, alice, settings):
    settings.CONSOLE_AUDIT_PAGE_SIZE = 5
    for n in range(12):
        audit_record(user=alice, action="object.upload", bucket="p-1250000000", key=f"k{n:02d}")
    client.force_login(dora)
    first = client.get(reverse("objects:audit-list"))
    assert len(rows(first)) == 5 and "Page 1 of 3" in first.content.decode()
    last = client.get(reverse("objects:audit-list"), {"page": 3})
    assert len(rows(last)) == 2 and "k00" in last.content.decode()


def test_bad_date_is_refused(client, dora):
    client.force_login(dora)
    response = client.get(reverse("objects:audit-list"), {"date_from": "yesterday"})
    assert response.status_code == 422 and "Enter a valid date." in response.content.decode()


def test_csv_export_streams_filtered_rows_and_defuses_formulas(client, dora, trail):
    client.force_login(dora)
    response = client.get(reverse("objects:audit-export"), {"user": "bob"})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0][:4] == ["at", "user", "action", "bucket"]
    assert len(table) == 3
    assert table[1][4] == "'=cmd|' /C calc'!A0"  # a spreadsheet shows it as text
    assert table[2][4] == "old.txt"


def test_audit_events_are_append_only(alice):
    event = audit_record(user=alice, action="object.delete", bucket="a-1250000000", key="k")
    event.detail = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
