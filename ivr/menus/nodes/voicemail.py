"""``voicemail``: instructions, a beep, a recording.

After a recording the call goes to ``next`` when given, else the caller is
thanked and the call ends with outcome ``voicemail``. The recording URL is
in ``Step.meta["recording_url"]`` of the step that received it. When the
caller records nothing, Twilio falls through to our Redirect: the call goes
to ``next``, or ends with a pt-BR goodbye (outcome ``hung_up``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ivr.menus.actions import CallState, Outcome, Record, Redirect
from ivr.menus.context import CallerEvent
from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt, parse_prompt
from ivr.menus.turn import Turn

DEFAULT_INSTRUCTIONS = parse_prompt(
    "Deixe sua mensagem após o sinal. Ao terminar, tecle cerquilha ou desligue."
)
THANKS = "Obrigado. Sua mensagem foi gravada e retornaremos o contato."
NOTHING_RECORDED = "Não recebemos nenhuma mensagem. Obrigado por ligar."


class VoicemailNode(NodeModel):
    kind: Literal["voicemail"]
    say: PromptText = DEFAULT_INSTRUCTIONS
    max_length: int = Field(120, ge=5, le=600)
    next: Ident | None = None

    ends_call = True

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        if self.next is not None:
            yield ("next",), self.next

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        yield ("say",), self.say


def enter(node: VoicemailNode, node_id: str, turn: Turn) -> None:
    turn.say(node.say)
    then = turn.state(node_id, expect="record")
    turn.actions.append(Record(then=then, max_length=node.max_length, play_beep=True))
    turn.actions.append(Redirect(then))  # an empty recording falls through to here
    return None


def resume(
    node: VoicemailNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    if state.expect != "record":
        return node_id
    if event.recording_url:
        turn.meta["recording_url"] = event.recording_url
        if event.recording_duration is not None:
            turn.meta["recording_duration"] = str(event.recording_duration)
        turn.recorded = True
        if node.next is not None:
            return node.next
        turn.say(THANKS)
        turn.hang_up(Outcome("voicemail", node_id))
        return None
    if node.next is not None:
        return node.next
    turn.say(NOTHING_RECORDED)
    turn.hang_up(Outcome("hung_up", node_id))
    return None


KIND = NodeKind("voicemail", VoicemailNode, enter, resume)  # type: ignore[arg-type]
