"""``hangup``: optionally say goodbye, then end the call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ivr.menus.actions import Outcome
from ivr.menus.nodes.base import Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt
from ivr.menus.turn import Turn


class HangupNode(NodeModel):
    kind: Literal["hangup"]
    say: PromptText | None = None

    ends_call = True

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        if self.say is not None:
            yield ("say",), self.say


def enter(node: HangupNode, node_id: str, turn: Turn) -> None:
    turn.say(node.say)
    if turn.recorded:
        outcome = Outcome("voicemail", node_id)
    elif turn.booked:
        outcome = Outcome("callback", node_id)
    elif turn.nothing_recorded is not None:
        outcome = Outcome("no_message", turn.nothing_recorded)
    elif turn.timed_out_at is not None:
        outcome = Outcome("timed_out", turn.timed_out_at)
    else:
        outcome = Outcome("hung_up", node_id)
    turn.hang_up(outcome)
    return None


KIND = NodeKind("hangup", HangupNode, enter)  # type: ignore[arg-type]
