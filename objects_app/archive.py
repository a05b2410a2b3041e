"""COS's archive rules: which restore tiers each class accepts and how long each takes.

One table (cos-protocol.md §3.17) for the restore form, the services that check a request before
sending it, and the estimates shown before a restore.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ARCHIVE_CLASSES = frozenset({"ARCHIVE", "DEEP_ARCHIVE"})
MIN_DAYS, MAX_DAYS = 1, 365


@dataclass(frozen=True)
class Tier:
    name: str  # as COS spells it in CASJobParameters
    label: str | Promise
    duration: str | Promise  # the time COS documents until the data is readable


TIERS: dict[str, tuple[Tier, ...]] = {
    "ARCHIVE": (
        Tier("Expedited", _("Expedited"), _("about 1–5 minutes")),
        Tier("Standard", _("Standard"), _("about 3–5 hours")),
        Tier("Bulk", _("Bulk"), _("about 5–12 hours")),
    ),
    "DEEP_ARCHIVE": (
        Tier("Standard", _("Standard"), _("about 12–24 hours")),
        Tier("Bulk", _("Bulk"), _("about 24–48 hours")),
    ),
}


def tiers_for(storage_class: str) -> tuple[Tier, ...]:
    return TIERS.get(storage_class, ())


def tier_accepted(storage_class: str, tier: str) -> bool:
    return any(t.name == tier for t in tiers_for(storage_class))
