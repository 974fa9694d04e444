"""expire_strangers: forget every stranger not seen for `stranger_retention_days`.

Runs once a day (an EventBridge schedule in the stack). Each expired stranger's faces leave
the strangers collection, its crops the audit bucket, its sightings the Sightings table and
its record the State table: the same erase `doorman forget` uses (adapters.strangers).
Events that showed the stranger keep only the id, and expire with their own retention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from core.strangers import Stranger, expired


class Strangers(Protocol):
    """adapters.strangers: the records, and the one erase routine."""

    def all(self) -> list[Stranger]: ...

    def erase(self, stranger: Stranger) -> dict[str, int]: ...


@dataclass
class ExpiryReport:
    checked: int = 0
    expired: list[str] = field(default_factory=list)
    erased: Counter[str] = field(default_factory=Counter)


class Expirer:
    def __init__(
        self,
        strangers: Strangers,
        retention_days: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.strangers = strangers
        self.retention_days = retention_days
        self.clock = clock

    def run(self) -> ExpiryReport:
        now, report = self.clock(), ExpiryReport()
        for stranger in self.strangers.all():
            report.checked += 1
            if expired(stranger, now, self.retention_days):
                report.erased.update(self.strangers.erase(stranger))
                report.expired.append(stranger.stranger_id)
        return report
