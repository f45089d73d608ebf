"""``message``: say or play something, then go on to ``next``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import model_validator

from ivr.menus.nodes.base import AudioUrl, Ident, Loc, NodeKind, NodeModel, PromptText, say_or_play
from ivr.menus.prompts import Prompt
from ivr.menus.turn import Turn


class MessageNode(NodeModel):
    kind: Literal["message"]
    say: PromptText | None = None
    play: AudioUrl | None = None
    next: Ident

    @model_validator(mode="after")
    def _check(self) -> MessageNode:
        say_or_play(self.say, self.play, required=True)
        return self

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        yield ("next",), self.next

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        if self.say is not None:
            yield ("say",), self.say


def enter(node: MessageNode, node_id: str, turn: Turn) -> str:
    audio = turn.audio(node.say, node.play)
    if audio is not None:
        turn.actions.append(audio)
    return node.next


KIND = NodeKind("message", MessageNode, enter)  # type: ignore[arg-type]
