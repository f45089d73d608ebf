"""``Hours`` is what the IVR engine asks (``ivr.menus.context.HoursOracle``)."""

from __future__ import annotations

from datetime import datetime

import pytest

from hours.oracle import Hours, UnknownSchedule
from hours.schedule import EmergencyClosure
from ivr.menus.context import CallContext, HoursOracle
from tests.hours.conftest import SP


def test_it_satisfies_the_engines_protocol():
    hours: HoursOracle = Hours.from_config(None)
    ctx = CallContext(now=datetime(2026, 11, 19, 12, 0, tzinfo=SP), hours=hours)
    assert ctx.hours.is_open(None, ctx.now) is False
    assert ctx.hours.closed_phrase(None, ctx.now).endswith("Voltamos às 13h30.")
    assert ctx.hours.is_open("corrido", ctx.now) is True
    assert ctx.hours.closed_phrase("corrido", ctx.now) == ""


def test_default_schedule_and_unknown_names():
    hours = Hours.from_config({"so": {"week": {"sab": ["09:00-12:00"]}}})
    assert hours.default == "so"
    assert hours.is_open(None, datetime(2026, 11, 21, 10, 0, tzinfo=SP))
    with pytest.raises(UnknownSchedule):
        hours.is_open("nenhum", datetime(2026, 11, 21, 10, 0, tzinfo=SP))


def test_emergency_provider_closes_only_the_schedules_it_names():
    at = datetime(2026, 11, 19, 10, 0, tzinfo=SP)
    em = EmergencyClosure(at, None, "Fechado.", schedules=frozenset({"padrao"}))
    hours = Hours.from_config(None, emergencies=lambda: [em])
    assert not hours.is_open("padrao", at)
    assert hours.is_open("corrido", at)
