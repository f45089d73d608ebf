"""``Hours``: the calendar as the IVR engine asks for it (``ivr.menus.context.HoursOracle``).

Built once per menu version from its parsed ``schedules:`` (the shipped
schedules when it has none; ``Menu.hours`` does this)::

    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hours.oracle import Hours
    from hours.schedules_section import SHIPPED_SCHEDULES, parse_schedules

    hours = Hours.or_shipped(parse_schedules(SHIPPED_SCHEDULES), emergencies=())
    lunch = datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    hours.is_open("padrao", lunch)      # False; schedule None -> the default schedule
    hours.closed_phrase(None, lunch)    # "Estamos no intervalo de almoço. ..."; "" when open

``emergencies`` is the seam to the database: an iterable of
``EmergencyClosure`` or a callable returning one, asked on every query (the
store behind it should cache and poll, so a closure set in the console is seen
by every process within seconds without a query per webhook).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hours.calendar import Calendar, EmergencySource, Status
from hours.phrases import closed_phrase
from hours.schedule import Schedule
from hours.schedules_section import SHIPPED_SCHEDULES, parse_schedules

__all__ = ["DEFAULT_SCHEDULE", "Hours", "UnknownSchedule"]

DEFAULT_SCHEDULE = "padrao"


class UnknownSchedule(KeyError):
    """A schedule name that the configuration does not define."""


class Hours:
    """Calendars by schedule name, with a default for callers without a line."""

    def __init__(
        self,
        schedules: Mapping[str, Schedule],
        default: str | None = None,
        emergencies: EmergencySource = (),
    ) -> None:
        if not schedules:
            raise ValueError("at least one schedule is needed")
        if default is None:
            default = DEFAULT_SCHEDULE if DEFAULT_SCHEDULE in schedules else next(iter(schedules))
        if default not in schedules:
            raise UnknownSchedule(default)
        self.default = default
        self.calendars = {
            name: Calendar(schedule, emergencies) for name, schedule in schedules.items()
        }

    @classmethod
    def or_shipped(
        cls,
        schedules: Mapping[str, Schedule],
        default: str | None = None,
        emergencies: EmergencySource = (),
    ) -> Hours:
        """The calendars of ``schedules``; the shipped schedules when there are none."""
        return cls(schedules or parse_schedules(SHIPPED_SCHEDULES), default, emergencies)

    @classmethod
    def from_config(
        cls,
        schedules: Mapping[str, Any] | None,
        default: str | None = None,
        emergencies: EmergencySource = (),
    ) -> Hours:
        """From the raw ``schedules:`` section; the shipped schedules when it is empty."""
        return cls.or_shipped(parse_schedules(schedules or {}), default, emergencies)

    def calendar(self, schedule: str | None = None) -> Calendar:
        name = self.default if schedule is None else schedule
        try:
            return self.calendars[name]
        except KeyError:
            raise UnknownSchedule(name) from None

    def is_open(self, schedule: str | None, now: datetime) -> bool:
        return self.calendar(schedule).is_open(now)

    def status(self, schedule: str | None, now: datetime) -> Status:
        return self.calendar(schedule).status(now)

    def closing(self, schedule: str | None, now: datetime) -> datetime | None:
        """When the line next closes (``now`` when closed); None if it never does."""
        return self.calendar(schedule).closing(now)

    def closed_phrase(self, schedule: str | None, now: datetime) -> str:
        """Why the line is closed and when it reopens (pt-BR); "" when open."""
        return closed_phrase(self.calendar(schedule).status(now))
