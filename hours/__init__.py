"""The business calendar: weekly split shifts, time zone, holidays, closures,
business-time arithmetic and the spoken "we reopen at ..." phrases.

Plain Python: no Flask, no database, no clock. Time is always a parameter and
must be timezone-aware.

- ``hours.clock``: where "now" comes from (``Clock``), and ``require_aware``.
- ``hours.schedule``: ``Schedule`` and its parts, plain frozen data.
- ``hours.schedules_section``: ``parse_schedules``, the ``schedules:`` section of a menu.
- ``hours.calendar``: ``Calendar``: status, next opening, business-time arithmetic, slots.
- ``hours.phrases``: pt-BR sentences for the caller.
- ``hours.oracle``: ``Hours``, what the IVR engine asks (``is_open``, ``closed_phrase``).
- ``hours.ics``: a year's holidays and closures as an iCalendar file.
"""

from hours.calendar import Calendar, NaiveDatetime, NoOpening, Reason, Slot, Status
from hours.oracle import Hours, UnknownSchedule
from hours.schedule import EmergencyClosure, Schedule
from hours.schedules_section import ScheduleError, parse_schedules

__all__ = [
    "Calendar",
    "EmergencyClosure",
    "Hours",
    "NaiveDatetime",
    "NoOpening",
    "Reason",
    "Schedule",
    "ScheduleError",
    "Slot",
    "Status",
    "UnknownSchedule",
    "parse_schedules",
]
