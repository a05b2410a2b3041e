"""Login throttling (issue 15, django-axes): lockout by username and by address after repeated
failures, a clear message, an administrator's unlock, and the failures kept as an audit trail."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import User
from django.urls import reverse

LIMIT = 5
LOCKED = "locked after 5 failed logins"


@pytest.fixture(autouse=True)
def _limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def dora(db) -> User:  # type: ignore[no-untyped-def]
    return User.objects.create_user(username="dora", password="right-password-1")


def _login(client, username: str, password: str, address: str = "127.0.0.1", **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def test_a_username_is_locked_after_repeated_failures_even_from_many_addresses(client, dora):
    for n in range(LIMIT - 1):
        response = _login(client, "dora", "wrong", address=f"192.0.2.{n + 1}")
        assert response.status_code == 200 and "did not match" in response.content.decode()
    last = _login(client, "dora", "wrong", address="192.0.2.99")
    assert last.status_code == 429 and LOCKED in last.content.decode()

    # Now even the right password is refused, with the same clear message (and no session).
    refused = _login(client, "dora", "right-password-1", address="198.51.100.7")
    body = refused.content.decode()
    assert refused.status_code == 429 and LOCKED in body and "Try again in 15 minutes" in body
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_failures_across_usernames(client, dora):
    for n in range(LIMIT):
        _login(client, f"guess-{n}", "wrong", address="203.0.113.5")
    assert _login(client, "dora", "right-password-1", address="203.0.113.5").status_code == 429
    # Another address is not affected, and dora's own account is not locked by the guesses.
    ok = _login(client, "dora", "right-password-1", address="203.0.113.6")
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(dora.pk)


def test_a_forwarded_for_header_cannot_dodge_the_address_lock(client, dora):
    for n in range(LIMIT):
        _login(client, f"u{n}", "wrong", address="203.0.113.8", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    assert _login(client, "dora", "right-password-1", address="203.0.113.8").status_code == 429


def test_success_before_the_limit_clears_the_count(client, dora):
    for _ in range(LIMIT - 1):
        _login(client, "dora", "wrong")
    assert _login(client, "dora", "right-password-1").status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        _login(client, "dora", "wrong")
    assert _login(client, "dora", "right-password-1").status_code == 302


def test_an_administrator_unlocks_through_the_admin_and_the_failures_stay_audited(client, dora):
    for _ in range(LIMIT):
        _login(client, "dora", "wrong", address="192.0.2.50")
    assert _login(client, "dora", "right-password-1", address="192.0.2.51").status_code == 429

    admin = User.objects.create_superuser(username="root", password="x")
    admin_client = type(client)()
    admin_client.force_login(admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = admin_client.get(changelist)
    assert page.status_code == 200 and "dora" in page.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    done = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert done.status_code == 302 and not AccessAttempt.objects.exists()

    assert _login(client, "dora", "right-password-1", address="192.0.2.51").status_code == 302
    trail = AccessFailureLog.objects.filter(username="dora").order_by("attempt_time")
    assert [(f.ip_address, f.locked_out) for f in trail] == [("192.0.2.50", False)] * (
        LIMIT - 1
    ) + [("192.0.2.50", True), ("192.0.2.51", True)]


def test_the_lockout_page_speaks_chinese(client, dora):
    for _ in range(LIMIT):
        _login(client, "dora", "wrong")
    response = _login(client, "dora", "wrong", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    body = response.content.decode()
    assert response.status_code == 429 and "登录失败次数过多" in body
    assert "5 次登录失败后已被锁定" in body and "15 分钟后重试" in body


def test_job_banner_speaks_chinese_too() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        text = translation.gettext(
            "Jobs are paused: the job queue is not reachable. They resume by themselves "
            "when it is back; browsing and downloads work meanwhile."
        )
    assert text.startswith("任务已暂停")
