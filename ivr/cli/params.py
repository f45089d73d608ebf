"""Option types shared by the commands."""

from __future__ import annotations

from datetime import datetime

import click


class Instant(click.ParamType):
    """An ISO-8601 instant, e.g. ``2026-11-24T10:00-03:00``.

    ``offset_required``: refuse a time without its offset. Commands that can
    place a naive time themselves (in a schedule's zone) pass False.
    """

    name = "ISO-8601"

    def __init__(self, offset_required: bool = True) -> None:
        self.offset_required = offset_required

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"not ISO-8601: {value!r} (e.g. 2026-11-24T10:00-03:00)", param, ctx)
        if self.offset_required and instant.tzinfo is None:
            self.fail("give the time zone offset, e.g. 2026-11-24T10:00-03:00", param, ctx)
        return instant
