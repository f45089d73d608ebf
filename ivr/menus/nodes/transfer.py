"""``transfer``: put the caller through to people.

Exactly one target: ``number`` (E.164, dialled), ``sip`` (a ``sip:`` URI,
dialled), ``queue`` (a Twilio queue, enqueued) or ``line`` (a product line
id: its queue, and the call's line becomes that line). ``line: current``
means the line chosen so far; callers who have not chosen one go to the
``queue`` given beside it, or else straight to ``fallback`` (one of the two
is required). ``say`` is spoken before connecting.

A caller still waiting in the queue when the line is about to close is told
so and taken out of it (``ivr.telephony.queue_wait``), then goes to
``closing`` (a callback or the voicemail for the next business day), or to
``fallback`` without one.

With ``callback`` (a ``callback`` node), callers waiting in the queue are
offered to press 1 and be called back without losing their place: the wait
answer takes them out of the queue (``<Leave>``) and the call goes there.
Our own ``<Leave>`` is the only way Twilio reports ``QueueResult=leave``, so
a leave outside the closing notice is that request.

When the caller has talked to someone and is still on the line once the
agent hangs up, the call goes to the line's ``survey`` node when the line
has one (``ivr.menus.nodes.survey``), else it ends. When the dial or the
queue ends without the caller having talked to anyone the call goes to
``fallback``; without one the engine apologises in pt-BR
and hangs up (outcome ``hung_up``), never silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ivr.menus.actions import CallState, Dial, Enqueue, Outcome
from ivr.menus.context import CallerEvent
from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt
from ivr.menus.turn import Turn

CURRENT = "current"

# Seconds before closing time at which waiting callers are taken out of the queue.
CLOSING_NOTICE = 180

# Seconds between position announcements in a queue no line configures.
ANNOUNCE_EVERY = 45

# DialCallStatus / QueueResult values meaning the caller talked to someone.
CONNECTED = frozenset({"completed", "answered", "bridged", "bridging-in-process"})

SORRY = (
    "Desculpe, não conseguimos completar sua ligação com um atendente agora. "
    "Por favor, ligue novamente mais tarde."
)


def _check_e164(value: str) -> str:
    if not re.fullmatch(r"\+[1-9]\d{7,14}", value):
        raise ValueError(
            f"o número deve estar no formato E.164, como +551130001000 (encontrado: {value!r})"
        )
    return value


def _check_sip(value: str) -> str:
    if not re.fullmatch(r"sips?:[^@\s]+@[^@\s]+|sips?:[^@\s]+", value):
        raise ValueError(
            f"sip deve ser uma URI sip:, como sip:suporte@pbx.example.com (encontrado: {value!r})"
        )
    return value


def _check_queue(value: str) -> str:
    if not value.strip() or len(value) > 64:
        raise ValueError("o nome de uma fila tem de 1 a 64 caracteres")
    return value


E164 = Annotated[str, AfterValidator(_check_e164)]
SipUri = Annotated[str, AfterValidator(_check_sip)]
QueueName = Annotated[str, AfterValidator(_check_queue)]


class TransferNode(NodeModel):
    kind: Literal["transfer"]
    number: E164 | None = None
    sip: SipUri | None = None
    queue: QueueName | None = None
    line: Ident | None = None
    say: PromptText | None = None
    fallback: Ident | None = None
    closing: Ident | None = None  # callers still waiting at closing time (default: fallback)
    callback: Ident | None = None  # a callback node: press 1 in the queue, keep the place
    timeout: int = Field(30, ge=5, le=120)  # seconds to ring a number or SIP address

    ends_call = True
    reaches_person = True

    @model_validator(mode="after")
    def _check(self) -> TransferNode:
        given = [
            name for name in ("number", "sip", "queue", "line") if getattr(self, name) is not None
        ]
        if self.line == CURRENT:
            if self.queue is None and self.fallback is None:
                raise ValueError(
                    "'line: current' precisa de 'queue' ou 'fallback' para quem ainda não "
                    "escolheu uma linha"
                )
            if self.queue is not None:
                given.remove("queue")
        if len(given) != 1:
            raise ValueError(
                "use exatamente um de 'number', 'sip', 'queue' ou 'line'"
                + (f" (encontrados: {', '.join(given)})" if given else "")
            )
        return self

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        if self.fallback is not None:
            yield ("fallback",), self.fallback
        if self.closing is not None:
            yield ("closing",), self.closing

    def choice_targets(self) -> Iterator[tuple[Loc, str]]:
        if self.callback is not None:
            yield ("callback",), self.callback

    def lines_used(self) -> Iterator[tuple[Loc, str]]:
        if self.line is not None and self.line != CURRENT:
            yield ("line",), self.line

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        if self.say is not None:
            yield ("say",), self.say


def _queue(node: TransferNode, turn: Turn) -> str | None:
    """The queue for a queue/line transfer; moves the call to an explicit line."""
    line_id = turn.line if node.line == CURRENT else node.line
    line = turn.menu.lines.get(line_id) if line_id is not None else None
    if line is None:
        return node.queue
    if node.line != CURRENT:
        turn.line = line_id
    return line.queue


def _target(node: TransferNode, turn: Turn) -> str:
    if node.number is not None:
        return node.number
    if node.sip is not None:
        return node.sip
    return _queue(node, turn) or ""


def _closes_at(turn: Turn) -> int | None:
    closes = turn.ctx.hours.closing(turn.line_schedule(), turn.ctx.now)
    return int(closes.timestamp()) if closes is not None else None


def _closing_now(turn: Turn) -> bool:
    """The line is closed or closes within the notice the wait URL gives."""
    closes = _closes_at(turn)
    return closes is not None and closes - turn.ctx.now.timestamp() <= CLOSING_NOTICE


def _survey(turn: Turn) -> str | None:
    """The survey node of the call's line, if it has one."""
    line = turn.menu.lines.get(turn.line) if turn.line is not None else None
    return line.survey if line is not None else None


def enter(node: TransferNode, node_id: str, turn: Turn) -> None:
    if node.number is not None or node.sip is not None:
        turn.say(node.say)
        then = turn.state(node_id, expect="dial")
        turn.actions.append(Dial(then=then, number=node.number, sip=node.sip, timeout=node.timeout))
        return None
    queue = _queue(node, turn)
    if queue is None:  # line: current, no line chosen, no queue beside it
        if node.fallback is not None:
            return node.fallback
        turn.fail(f"{node_id}: no queue to transfer to")  # the loader makes this impossible
        return None
    turn.say(node.say)
    line = turn.menu.lines.get(turn.line) if turn.line is not None else None
    wait = line.wait if line is not None and line.queue == queue else None
    turn.actions.append(
        Enqueue(
            queue=queue,
            then=turn.state(node_id, expect="enqueue"),
            announce_every=wait.announce_every if wait else ANNOUNCE_EVERY,
            music=wait.music if wait else None,
            closes_at=_closes_at(turn),
            offer_callback=node.callback is not None,
        )
    )
    return None


def resume(
    node: TransferNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    if state.expect not in ("dial", "enqueue"):
        return node_id
    status = (event.dial_status or "").strip().lower()
    turn.dial_status = status
    if status in CONNECTED:
        outcome = Outcome("transferred", _target(node, turn))
        survey = _survey(turn)
        if survey is not None and event.call_status != "completed":
            turn.outcome = outcome  # the survey ends the call without an outcome of its own
            return survey
        turn.hang_up(outcome)
        return None
    if status == "leave" and _closing_now(turn):
        if node.closing is not None:
            return node.closing  # taken out of the queue at closing time (see queue_wait)
    elif status == "leave" and node.callback is not None:
        turn.queue_callback = True  # pressed 1 while waiting: called back, place kept
        return node.callback
    if status == "hangup":  # the caller left the queue by hanging up: nobody to talk to
        turn.hang_up(Outcome("hung_up", node_id))
        return None
    if node.fallback is not None:
        return node.fallback
    turn.say(SORRY)
    turn.hang_up(Outcome("hung_up", node_id))
    return None


KIND = NodeKind("transfer", TransferNode, enter, resume)  # type: ignore[arg-type]
