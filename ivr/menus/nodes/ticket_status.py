"""``ticket_status``: the caller keys in a protocol and hears how the ticket stands.

The caller types the 12 digits (``#`` ends early). A number whose check
digit does not match is caught here and asked again, never looked up; so is
silence. After ``retries`` failed attempts, or at once when the caller keys
0 (a way to a person), the call goes to ``after_retries``. A good number is
looked up through the ticket desk (``CallContext.tickets``): the caller
hears its status, its last update and, while the team still owes a first
answer, when to expect it, in natural pt-BR. When the help desk does not
answer in time, the caller hears the last status we knew, and is told so.
Then the call goes to ``next`` (or ends).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ivr.menus.actions import CallState, Gather, Outcome, Redirect, Say
from ivr.menus.context import CallerEvent, TicketNote
from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt, parse_prompt
from ivr.menus.turn import Turn

DEFAULT_PROMPT = parse_prompt(
    "Digite os 12 números do seu protocolo e depois sustenido. "
    "Para falar com um atendente, digite 0 e sustenido."
)
NOT_A_PROTOCOL = "Esse número de protocolo não confere."
WRONG_NUMBER = f"{NOT_A_PROTOCOL} Confira os números e digite de novo."
NO_INPUT = "Não recebemos nenhum número."
NOT_FOUND = "Não encontramos nenhum chamado com esse protocolo."
UNAVAILABLE = (
    "Não conseguimos consultar os chamados agora. Por favor, tente mais tarde ou "
    "fale com um atendente."
)
STALE = (
    "Nosso sistema de chamados não respondeu agora. Esta é a última situação que temos registrada."
)
GOODBYE = "Obrigado por ligar. Até logo!"

log = logging.getLogger(__name__)


class TicketStatusNode(NodeModel):
    kind: Literal["ticket_status"]
    say: PromptText = DEFAULT_PROMPT
    timeout: int = Field(10, ge=3, le=60)
    retries: int = Field(3, ge=1, le=5)
    after_retries: Ident
    next: Ident | None = None

    takes_input = True

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        yield ("after_retries",), self.after_retries

    def choice_targets(self) -> Iterator[tuple[Loc, str]]:
        # 0 (then #) leads to after_retries at once: a way to a person from here too.
        yield ("after_retries",), self.after_retries
        if self.next is not None:
            yield ("next",), self.next

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        yield ("say",), self.say


def _ask(node: TicketStatusNode, node_id: str, turn: Turn, attempt: int, lead: str = "") -> None:
    prompts = [Say(lead)] if lead else []
    text = turn.render(node.say)
    prompts.append(Say(text))
    then = turn.state(node_id, attempt=attempt)
    turn.actions.append(
        Gather(
            prompts=tuple(prompts),
            then=then,
            timeout=node.timeout,
            num_digits=12,
            finish_on_key="#",
        )
    )
    turn.actions.append(Redirect(then))  # silence comes back to us


def enter(node: TicketStatusNode, node_id: str, turn: Turn) -> None:
    _ask(node, node_id, turn, attempt=1)
    return None


def _report(turn: Turn, note: TicketNote) -> None:
    turn.personal = True  # the caller's protocol and ticket
    from tickets_bridge.phrases import answer_by, last_update, status_phrase
    from tickets_bridge.protocol import spoken_protocol

    now = turn.ctx.now
    if note.stale:
        turn.say(STALE)
    turn.say(f"Protocolo {spoken_protocol(note.protocol)}.")
    turn.say(status_phrase(note.status))
    if note.updated_at is not None:
        turn.say(last_update(note.updated_at, now))
    if note.status == "Aberto" and note.due_at is not None and note.due_at > now:
        turn.say(answer_by(note.due_at, now))


def resume(
    node: TicketStatusNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    from tickets_bridge.protocol import is_valid

    digits = "".join(ch for ch in (event.digits or "") if ch.isdigit())
    if digits == "0":
        return node.after_retries
    if not is_valid(digits):
        if state.attempt >= node.retries:
            turn.say(NOT_A_PROTOCOL if digits else NO_INPUT)
            return node.after_retries
        _ask(node, node_id, turn, state.attempt + 1, WRONG_NUMBER if digits else NO_INPUT)
        return None
    desk = turn.ctx.tickets
    note: TicketNote | None = None
    try:
        note = desk.lookup(digits) if desk is not None else None
    except Exception:
        log.exception("ticket lookup failed for CallSid=%s", turn.ctx.call_sid)
        turn.say(UNAVAILABLE)
        return node.after_retries
    if desk is None:
        turn.say(UNAVAILABLE)
        return node.after_retries
    if note is None:
        turn.say(NOT_FOUND)
    else:
        _report(turn, note)
    if node.next is not None:
        return node.next
    turn.say(GOODBYE)
    turn.hang_up(Outcome("hung_up", node_id))
    return None


KIND = NodeKind("ticket_status", TicketStatusNode, enter, resume)  # type: ignore[arg-type]
