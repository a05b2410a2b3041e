import pytest
from playwright.sync_api import expect
from tests.e2e.test_restore_campaign import *  # noqa
from tests.e2e.conftest import log_in


def test_shots(
    page, phone_page, zh_page, live_server, fast_cos, vault, start_worker, django_user_model
):
    start_worker(**campaign_env(fast_cos))
    log_in(page, live_server, django_user_model, username="ada", role="operator")
    page.set_viewport_size({"width": 1280, "height": 900})
    plan_in_dialog(page, live_server, vault)
    page.screenshot(path="/tmp/plan.png")
    page.locator("#dialog .restore-start button").click()
    page.wait_for_timeout(1500)
    page.screenshot(path="/tmp/started.png")
    page.locator("#dialog .job-link").click()
    expect(page.locator(".job-state")).to_have_text("Succeeded", timeout=60_000)
    page.reload()
    page.wait_for_load_state("networkidle")
    page.screenshot(path="/tmp/campaign.png", full_page=True)
    log_in(zh_page, live_server, django_user_model, username="zhang", role="operator")
    plan_in_dialog(zh_page, live_server, vault, chinese=True)
    zh_page.screenshot(path="/tmp/plan-zh.png")
    zh_page.locator("#dialog .job-link").click()
    zh_page.wait_for_load_state("networkidle")
    zh_page.screenshot(path="/tmp/campaign-zh.png", full_page=True)
    log_in(phone_page, live_server, django_user_model, username="pia", role="operator")
    plan_in_dialog(phone_page, live_server, vault)
    phone_page.locator("#dialog .job-link").click()
    phone_page.wait_for_load_state("networkidle")
    phone_page.screenshot(path="/tmp/campaign-phone.png", full_page=True)
