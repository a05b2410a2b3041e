"""A campaign's options are checked before anything is sent: days within COS's limits, only the
tiers COS accepts for each class, a rate COS serves, a sensible copy target."""

from __future__ import annotations

import pytest

from objects_app.archive_forms import RestoreOptionsForm, tier_choices

GOOD = {"days": "7", "tier_archive": "Bulk", "tier_deep_archive": "Standard", "rate": "50"}


def errors(**changes: str) -> dict[str, list[str]]:
    form = RestoreOptionsForm({**GOOD, **changes})
    assert not form.is_valid()
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def test_good_options():
    form = RestoreOptionsForm({**GOOD, "copy_to": "STANDARD_IA", "copy_prefix": "restored/"})
    assert form.is_valid(), form.errors
    assert form.tiers == {"ARCHIVE": "Bulk", "DEEP_ARCHIVE": "Standard"}
    assert form.cleaned_data["days"] == 7 and form.cleaned_data["rate"] == 50


def test_only_the_tiers_cos_accepts_are_offered_with_their_times():
    assert tier_choices("ARCHIVE") == [
        ("Expedited", "Expedited — about 1–5 minutes"),
        ("Standard", "Standard — about 3–5 hours"),
        ("Bulk", "Bulk — about 5–12 hours"),
    ]
    assert [name for name, _ in tier_choices("DEEP_ARCHIVE")] == ["Standard", "Bulk"]


def test_expedited_for_deep_archive_is_refused_with_cos_rule():
    assert errors(tier_deep_archive="Expedited") == {
        "tier_deep_archive": [
            "COS does not accept the Expedited tier for DEEP_ARCHIVE objects; "
            "choose one of: Standard, Bulk."
        ]
    }


def test_an_unknown_tier_is_refused():
    assert "tier_archive" in errors(tier_archive="Glacier")


@pytest.mark.parametrize("days", ["0", "366", "-1", "1.5", ""])
def test_days_out_of_range_are_refused(days):
    assert "days" in errors(days=days)


@pytest.mark.parametrize("rate", ["0", "101"])
def test_a_rate_cos_would_not_serve_is_refused(rate):
    assert "rate" in errors(rate=rate)


def test_a_copy_target_prefix_must_be_a_folder():
    assert errors(copy_to="STANDARD", copy_prefix="restored") == {
        "copy_prefix": ["A target prefix ends with “/” (a folder)."]
    }


def test_a_copy_prefix_needs_a_class():
    assert errors(copy_prefix="restored/") == {
        "copy_to": ["Choose the class to copy into, or leave the prefix empty."]
    }


def test_only_readable_classes_are_copy_targets():
    assert "copy_to" in errors(copy_to="ARCHIVE")
