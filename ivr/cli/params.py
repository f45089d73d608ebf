"""Option types shared by the commands."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from hours.schedule import DEFAULT_TIMEZONE


class Instant(click.ParamType):
    """An ISO-8601 instant, the same forms in every command.

    ``2026-11-24T10:00-03:00``, ``2026-11-24T13:00Z``, ``2026-11-24T10:00``,
    ``2026-11-24 10:00`` or ``2026-11-24`` (midnight). A time without an
    offset is the line's local time: it is given ``zone`` (São Paulo's by
    default). A command that places it itself, in the zone of the schedule it
    asks about, passes ``zone=None`` and gets the naive value.
    """

    name = "ISO-8601"

    def __init__(self, zone: str | None = DEFAULT_TIMEZONE) -> None:
        self.zone = ZoneInfo(zone) if zone is not None else None

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            instant = value
        else:
            try:
                instant = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(
                    f"data e hora inválida: {value!r} "
                    "(use, por exemplo, 2026-11-24T10:00 ou 2026-11-24T10:00-03:00)",
                    param,
                    ctx,
                )
        if instant.tzinfo is None and self.zone is not None:
            instant = instant.replace(tzinfo=self.zone)
        return instant
