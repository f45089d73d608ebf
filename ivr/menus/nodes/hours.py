"""``hours``: go to ``open`` or ``closed`` depending on the business calendar.

The schedule is ``schedule`` when given, else the schedule of the product
line chosen so far, else None (the calendar's default). The decision is
``ctx.hours.is_open(schedule, ctx.now)``. Prompts entered after it in the
same step read ``{aviso_horario}`` for the schedule of the last hours node
that found the line closed, so a chain "closed for the default schedule,
open for the straight-through one" still says why the default one is closed
(lunch) and when it reopens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel
from ivr.menus.turn import Turn


class HoursNode(NodeModel):
    kind: Literal["hours"]
    schedule: Ident | None = None
    open: Ident
    closed: Ident

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        yield ("open",), self.open
        yield ("closed",), self.closed

    def schedules_used(self) -> Iterator[tuple[Loc, str]]:
        if self.schedule is not None:
            yield ("schedule",), self.schedule


def enter(node: HoursNode, node_id: str, turn: Turn) -> str:
    schedule = node.schedule if node.schedule is not None else turn.line_schedule()
    if turn.ctx.hours.is_open(schedule, turn.ctx.now):
        return node.open
    turn.schedule = schedule
    return node.closed


KIND = NodeKind("hours", HoursNode, enter)  # type: ignore[arg-type]
