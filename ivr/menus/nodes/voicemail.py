"""``voicemail``: the recording notice, instructions, a beep, a recording.

``recording_notice`` (on by default, ``null`` to drop it) tells the caller
the call may be recorded before anything is: the consent notice the LGPD
asks for.

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

With a ticket desk (``CallContext.tickets``) a message becomes a ticket in
the step that receives the recording, the one step that writes: the caller
hears its protocol twice, in groups of three digits, and when to expect an
answer. ``topic`` names the ticket's topic (``urgente`` makes it urgent). A
caller who already has an open ticket for the line is told so first and
offered to add the message to it (key 1) instead of opening another (key 2,
or anything else). If the desk fails, the caller is still thanked: the
recording stays in the call log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import Field

from ivr.menus.actions import (
    CallState,
    Gather,
    Outcome,
    Pause,
    Record,
    Recording,
    Redirect,
    Say,
)
from ivr.menus.context import CallerEvent, TicketNote, VoicemailTicket
from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt, parse_prompt
from ivr.menus.turn import Turn
from tickets_bridge.phrases import answer_by
from tickets_bridge.protocol import spoken_protocol

DEFAULT_INSTRUCTIONS = parse_prompt(
    "Deixe sua mensagem após o sinal. Ao terminar, tecle cerquilha ou desligue."
)
# Heard before the instructions (LGPD: the caller is told before being recorded);
# a menu may word it otherwise, or drop it with ``recording_notice: null``.
RECORDING_NOTICE = (
    "Esta ligação poderá ser gravada. A gravação será usada somente para atender a sua solicitação."
)
DEFAULT_RECORDING_NOTICE = parse_prompt(RECORDING_NOTICE)
THANKS = "Obrigado. Sua mensagem foi gravada e retornaremos o contato."
RECEIVED = "Recebemos a sua mensagem."
TRY_AGAIN = "Nenhuma mensagem foi gravada. Vamos tentar mais uma vez: fale depois do sinal."
NOTHING_RECORDED = (
    "Não recebemos nenhuma mensagem. Se precisar, ligue novamente. Obrigado por ligar."
)
TRIES = 2  # the first recording and one more try
# Added to ``CallState.attempt`` while recording a message for the caller's open ticket.
ADD_TO_OPEN = 10

log = logging.getLogger(__name__)


class VoicemailNode(NodeModel):
    kind: Literal["voicemail"]
    say: PromptText = DEFAULT_INSTRUCTIONS
    recording_notice: PromptText | None = DEFAULT_RECORDING_NOTICE
    max_length: int = Field(120, ge=5, le=600)
    next: Ident | None = None
    empty: Ident | None = None  # where a caller who recorded nothing twice goes
    topic: Ident | None = None  # the ticket's topic; "urgente" makes it urgent

    ends_call = True

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        if self.next is not None:
            yield ("next",), self.next
        if self.empty is not None:
            yield ("empty",), self.empty

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        if self.recording_notice is not None:
            yield ("recording_notice",), self.recording_notice
        yield ("say",), self.say


def _instructions(node: VoicemailNode, turn: Turn) -> None:
    """The recording notice, then what to say after the beep."""
    if node.recording_notice is not None:
        turn.say(node.recording_notice)
    turn.say(node.say)


def _record(node: VoicemailNode, node_id: str, turn: Turn, attempt: int) -> None:
    then = turn.state(node_id, expect="record", attempt=attempt)
    turn.actions.append(Record(then=then, max_length=node.max_length, play_beep=True))
    turn.actions.append(Redirect(then))  # an empty recording falls through to here


def _open_ticket(turn: Turn) -> str | None:
    desk = turn.ctx.tickets
    if desk is None or not turn.ctx.caller:
        return None
    try:
        return desk.open_ticket(turn.ctx.caller, turn.line)
    except Exception:  # no offer is better than no message
        log.exception("could not look up open tickets for CallSid=%s", turn.ctx.call_sid)
        return None


def enter(node: VoicemailNode, node_id: str, turn: Turn) -> None:
    protocol = _open_ticket(turn)
    if protocol is not None:
        line = turn.menu.lines.get(turn.line) if turn.line else None
        where = f" para {line.name}" if line is not None else ""
        groups = spoken_protocol(protocol)
        offer = (
            f"Você já tem um chamado aberto{where}, com o protocolo {groups}. "
            "Para acrescentar este recado a esse chamado, digite 1. "
            "Para abrir um novo chamado, digite 2."
        )
        then = turn.state(node_id, expect="input")
        turn.actions.append(Gather(prompts=(Say(offer),), then=then, timeout=6))
        turn.actions.append(Redirect(then))  # silence: a new ticket
        return None
    _instructions(node, turn)
    _record(node, node_id, turn, attempt=1)
    return None


def readback(note: TicketNote, now: datetime, added: bool = False) -> list[Say | Pause]:
    """The protocol twice, slowly, then when to expect an answer."""
    groups = spoken_protocol(note.protocol)
    if note.follows is not None:
        lead = (
            "O seu chamado anterior já estava resolvido, então abrimos um novo, "
            "ligado a ele. Anote o número do protocolo:"
        )
    elif added:
        lead = "Sua mensagem foi acrescentada ao seu chamado. O número do protocolo é:"
    else:
        lead = "Sua mensagem foi registrada. Anote o número do protocolo:"
    said: list[Say | Pause] = [
        Say(lead),
        Say(groups + "."),
        Pause(1),
        Say(f"Repetindo: {groups}."),
        Pause(1),
    ]
    if note.due_at is not None and note.due_at > now:
        said.append(Say(answer_by(note.due_at, now)))
    return said


def _ticket(
    node: VoicemailNode, state: CallState, event: CallerEvent, turn: Turn, added: bool
) -> TicketNote | None:
    desk, ctx = turn.ctx.tickets, turn.ctx
    if desk is None or not event.recording_url:
        return None
    add_to = _open_ticket(turn) if added else None
    message = VoicemailTicket(
        key=f"{ctx.call_sid}:{state.step}",
        caller=ctx.caller,
        line=turn.line,
        topic=node.topic,
        recording_url=event.recording_url,
        recording_duration=event.recording_duration,
        call_sid=ctx.call_sid,
        add_to=add_to,
    )
    try:
        return desk.record_voicemail(message, ctx.now)
    except Exception:  # the recording is in the call log; thank the caller all the same
        log.exception("could not make a ticket of the voicemail of CallSid=%s", ctx.call_sid)
        return None


def resume(
    node: VoicemailNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    if state.expect == "input":  # the answer to the open-ticket offer
        _instructions(node, turn)
        attempt = 1 + (ADD_TO_OPEN if event.digits == "1" else 0)
        _record(node, node_id, turn, attempt=attempt)
        return None
    if state.expect != "record":
        return node_id
    added = state.attempt > ADD_TO_OPEN
    tries = state.attempt - ADD_TO_OPEN if added else state.attempt
    if event.recording_url and event.recording_duration != 0:
        turn.recording = Recording(event.recording_url, event.recording_duration)
        turn.recorded = True
        note = _ticket(node, state, event, turn, added)
        if note is not None:
            turn.personal = True  # the caller's own protocol: not for the shared cache
            turn.actions.extend(readback(note, turn.ctx.now, added))
        if node.next is not None:
            if note is None:  # no ticket (no store, or it failed): the recording is kept
                turn.say(RECEIVED)
            return node.next
        turn.say(THANKS if note is None else "Obrigado por ligar.")
        turn.hang_up(Outcome("voicemail", node_id))
        return None
    if tries < TRIES:
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
