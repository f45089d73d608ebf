"""``voicemail``: instructions, a beep, a recording.

After a recording the call goes to ``next`` when given, else the caller is
thanked and the call ends with outcome ``voicemail``. The recording URL is
in ``Step.recording`` of the step that received it.

A recording that captured nothing is never confirmed as received. Twilio
does not call a ``<Record>``'s action when nothing was recorded (silence,
or ``#`` at once): it falls through to the Redirect rendered after it, which
comes back here without a ``RecordingUrl``. An action request with
``RecordingDuration`` 0 means the same. The caller is told that nothing was
recorded and gets one more try; if that is empty too, the call goes to
``empty`` when given, else a goodbye that promises nothing (outcome
``no_message``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ivr.menus.actions import CallState, Outcome, Record, Recording, Redirect
from ivr.menus.context import CallerEvent
from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt, parse_prompt
from ivr.menus.turn import Turn

DEFAULT_INSTRUCTIONS = parse_prompt(
    "Deixe sua mensagem após o sinal. Ao terminar, tecle cerquilha ou desligue."
)
THANKS = "Obrigado. Sua mensagem foi gravada e retornaremos o contato."
TRY_AGAIN = "Nenhuma mensagem foi gravada. Vamos tentar mais uma vez: fale depois do sinal."
NOTHING_RECORDED = (
    "Não recebemos nenhuma mensagem. Se precisar, ligue novamente. Obrigado por ligar."
)
TRIES = 2  # the first recording and one more try


class VoicemailNode(NodeModel):
    kind: Literal["voicemail"]
    say: PromptText = DEFAULT_INSTRUCTIONS
    max_length: int = Field(120, ge=5, le=600)
    next: Ident | None = None
    empty: Ident | None = None  # where a caller who recorded nothing twice goes

    ends_call = True

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        if self.next is not None:
            yield ("next",), self.next
        if self.empty is not None:
            yield ("empty",), self.empty

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        yield ("say",), self.say


def _record(node: VoicemailNode, node_id: str, turn: Turn, attempt: int) -> None:
    then = turn.state(node_id, expect="record", attempt=attempt)
    turn.actions.append(Record(then=then, max_length=node.max_length, play_beep=True))
    turn.actions.append(Redirect(then))  # an empty recording falls through to here


def enter(node: VoicemailNode, node_id: str, turn: Turn) -> None:
    turn.say(node.say)
    _record(node, node_id, turn, attempt=1)
    return None


def resume(
    node: VoicemailNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    if state.expect != "record":
        return node_id
    if event.recording_url and event.recording_duration != 0:
        turn.recording = Recording(event.recording_url, event.recording_duration)
        turn.recorded = True
        if node.next is not None:
            return node.next
        turn.say(THANKS)
        turn.hang_up(Outcome("voicemail", node_id))
        return None
    if state.attempt < TRIES:
        turn.say(TRY_AGAIN)
        _record(node, node_id, turn, attempt=state.attempt + 1)
        return None
    turn.nothing_recorded = node_id
    if node.empty is not None:
        return node.empty
    turn.say(NOTHING_RECORDED)
    turn.hang_up(Outcome("no_message", node_id))
    return None


KIND = NodeKind("voicemail", VoicemailNode, enter, resume)  # type: ignore[arg-type]
