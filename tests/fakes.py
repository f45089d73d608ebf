"""Fakes at the ports, shared by the suites."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FixedHours:
    """A calendar stand-in that is always open or always closed, and remembers the asks."""

    open: bool = True
    asked: list[str | None] = field(default_factory=list)

    def is_open(self, schedule: str | None, now: datetime) -> bool:
        self.asked.append(schedule)
        return self.open

    def closing(self, schedule: str | None, now: datetime) -> datetime | None:
        return None if self.open else now

    def closed_phrase(self, schedule: str | None, now: datetime) -> str:
        return f"Estamos fechados ({schedule}). Voltamos amanhã às 9 horas."
