"""COS's archive rules: which restore tiers each class accepts and how long each takes.

One table (cos-protocol.md §3.17) for the restore form, the services that check a request before
sending it, and the estimates shown before a restore.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ARCHIVE_CLASSES = frozenset({"ARCHIVE", "DEEP_ARCHIVE"})
MIN_DAYS, MAX_DAYS = 1, 365


MINUTE, HOUR = 60, 3600


@dataclass(frozen=True)
class Tier:
    name: str  # as COS spells it in CASJobParameters
    label: str | Promise
    duration: str | Promise  # the time COS documents until the data is readable
    # The documented range in seconds: campaigns first look after `soonest` and expect every
    # object readable by `latest` (their ETA and polling interval come from these).
    soonest: int = 0
    latest: int = 0


TIERS: dict[str, tuple[Tier, ...]] = {
    "ARCHIVE": (
        Tier("Expedited", _("Expedited"), _("about 1–5 minutes"), 1 * MINUTE, 5 * MINUTE),
        Tier("Standard", _("Standard"), _("about 3–5 hours"), 3 * HOUR, 5 * HOUR),
        Tier("Bulk", _("Bulk"), _("about 5–12 hours"), 5 * HOUR, 12 * HOUR),
    ),
    "DEEP_ARCHIVE": (
        Tier("Standard", _("Standard"), _("about 12–24 hours"), 12 * HOUR, 24 * HOUR),
        Tier("Bulk", _("Bulk"), _("about 24–48 hours"), 24 * HOUR, 48 * HOUR),
    ),
}
# What a campaign proposes when the user has not chosen (the cheaper of the usual tiers).
DEFAULT_TIER = {"ARCHIVE": "Standard", "DEEP_ARCHIVE": "Standard"}


def tiers_for(storage_class: str) -> tuple[Tier, ...]:
    return TIERS.get(storage_class, ())


def tier_accepted(storage_class: str, tier: str) -> bool:
    return any(t.name == tier for t in tiers_for(storage_class))


def tier_of(storage_class: str, tier: str) -> Tier | None:
    return next((t for t in tiers_for(storage_class) if t.name == tier), None)


def tier_refusal(storage_class: str, tier: str) -> str:
    """Why COS would refuse `tier` for `storage_class` ("" when it accepts it)."""
    if tier_accepted(storage_class, tier):
        return ""
    accepted = ", ".join(t.name for t in tiers_for(storage_class))
    text = gettext(
        "COS does not accept the %(tier)s tier for %(cls)s objects; choose one of: %(tiers)s."
    )
    return text % {
        "tier": tier,
        "cls": storage_class,
        "tiers": accepted,
    }
