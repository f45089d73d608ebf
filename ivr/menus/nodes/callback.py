"""``callback``: the caller leaves a number and is called back in business hours.

The steps, each one request (the phase and the number ride in
``CallState.data``, sealed in the step URL, so nothing is stored until the
booking and no URL shows the number):

1. A caller whose own number is a Brazilian fixed or mobile line hears it,
   digit by digit, and keys 1 to be called back on it or 2 to give another.
   Anonymous or withheld caller IDs ("anonymous", "+266696687", none …)
   and foreign numbers are asked for one at once.
2. A number keyed in (then ``#``) goes through ``callbacks.numbers``: 8 or
   9 digits get the caller's own area code; it is read back to confirm (1)
   or key again (2). A refused number (premium rate, short code, foreign,
   malformed …) is re-asked with the reason, up to ``retries`` tries; then
   the call goes to ``after_retries`` (a voicemail, say).
3. A number that already has a callback on the line hears when it is and
   its protocol, and keeps it (1, or silence) or cancels it (2).
4. The caller picks the first available time (1), the morning (2) or the
   afternoon (3) of the next business day; the booking is made (one small
   transaction through ``CallContext.callbacks``) and the caller hears the
   day and time and the protocol, twice. Then ``next``, or a goodbye.

The callback goes on the product line chosen so far, else on ``line``. The
linter counts a callback as a way to a person: an agent calls back.

Reached from a queue (a transfer's ``callback``: the caller pressed 1
while waiting), the caller keeps their place: there is no question of when,
the callback is due at once and dialed ahead of every callback asked for
later (``callbacks.booking.book_now``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Literal

from pydantic import Field

from callbacks.numbers import CallbackNumber, NumberRefused, Refusal, callback_number
from callbacks.phrases import confirmation_phrase, existing_phrase, spoken_opening, spoken_phone
from ivr.menus.actions import CallState, Gather, Outcome, Pause, Redirect, Say
from ivr.menus.context import CallbackNote, CallbackRequest, CallerEvent
from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt
from ivr.menus.turn import Turn
from tickets_bridge.protocol import spoken_protocol

log = logging.getLogger(__name__)

OWN_NUMBER = (
    "Vamos retornar para o número {number}. "
    "Digite 1 para receber o retorno neste número, ou 2 para informar outro número."
)
NO_CALLER_ID = "Não conseguimos identificar o número de onde você está ligando."
ASK_NUMBER = "Digite o número de telefone para o retorno, com DDD, e depois a tecla sustenido."
ASK_AGAIN = "Digite o número com DDD e depois sustenido."
CONFIRM = "Você digitou {number}. Para confirmar, digite 1. Para digitar outro número, digite 2."
AREA_ASSUMED = (
    "Como você não digitou o DDD, usamos o mesmo do seu telefone. O número ficou {number}. "
    "Para confirmar, digite 1. Para digitar outro número, digite 2."
)
WHEN = (
    "Para o primeiro horário disponível, digite 1. "
    "Para a manhã do próximo dia útil, digite 2. "
    "Para a tarde do próximo dia útil, digite 3."
)
KEEP_OR_CANCEL = "Para manter esse retorno, digite 1. Para cancelar, digite 2."
KEPT = "Combinado, o seu retorno continua marcado."
CANCELLED = "Pronto, o seu retorno foi cancelado."
GAVE_UP = "Não conseguimos registrar um número para o retorno."
NO_SLOT = "Desculpe, não há horário livre para retorno nos próximos dias."
UNAVAILABLE = "Desculpe, não conseguimos agendar o retorno agora."
INVALID = "Desculpe, essa opção não é válida."
NO_INPUT = "Desculpe, não recebemos nenhuma resposta."
GOODBYE = "Obrigado por ligar. Até logo!"
FROM_QUEUE = "Certo, você saiu da fila sem perder a sua vez."
BOOKED_FROM_QUEUE = "Pronto! Vamos ligar para você assim que um atendente estiver livre."
ASAP = "asap"

WHEN_KEYS = {"1": "first_available", "2": "next_morning", "3": "next_afternoon"}

# Phases, the first letter of ``CallState.data``; then ``q`` when the caller left a
# queue, then the number's national digits.
OFFER, TYPING, CONFIRMING, EXISTING, CHOOSING = "o", "n", "c", "e", "w"
QUEUE = "q"


def _data(phase: str, queue: bool, number: CallbackNumber | None = None) -> str:
    return phase + (QUEUE if queue else "") + (number.national if number is not None else "")


def _parse(data: str) -> tuple[str, bool, str]:
    """(phase, from a queue, the number's national digits)."""
    queue = data[1:2] == QUEUE
    return data[:1], queue, data[2:] if queue else data[1:]


class CallbackNode(NodeModel):
    kind: Literal["callback"]
    line: Ident  # the line booked when the caller has chosen none
    say: PromptText | None = None  # said on entering, before the number is offered
    retries: int = Field(3, ge=1, le=5)  # tries at each question, a number included
    timeout: int = Field(8, ge=3, le=30)  # seconds of silence while keying a number
    after_retries: Ident  # where a caller goes with no usable number (a voicemail)
    next: Ident | None = None  # after the booking; default: a goodbye

    takes_input = True
    ends_call = True
    reaches_person = True  # an agent calls back

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        yield ("after_retries",), self.after_retries
        if self.next is not None:
            yield ("next",), self.next

    def lines_used(self) -> Iterator[tuple[Loc, str]]:
        yield ("line",), self.line

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        if self.say is not None:
            yield ("say",), self.say


def _own_number(caller: str) -> CallbackNumber | None:
    """The caller's own number when it can be called back (not withheld, not foreign)."""
    try:
        return callback_number(caller) if caller.startswith("+55") else None
    except NumberRefused:
        return None


def _number_of(digits: str) -> CallbackNumber | None:
    try:
        return callback_number("+55" + digits) if digits else None
    except NumberRefused:
        return None


def _line(node: CallbackNode, turn: Turn) -> str:
    return turn.line if turn.line in turn.menu.lines else node.line


def _ask(
    node_id: str,
    turn: Turn,
    data: str,
    texts: list[str],
    attempt: int = 1,
    *,
    digits: int | None = 1,
    timeout: int = 6,
) -> None:
    then = turn.state(node_id, attempt=attempt, data=data)
    finish = "#" if digits is None else ""
    prompts = tuple(Say(text) for text in texts if text)
    turn.actions.append(
        Gather(prompts, then, timeout=timeout, num_digits=digits, finish_on_key=finish)
    )
    turn.actions.append(Redirect(then))  # silence comes back to us


def _ask_number(
    node: CallbackNode, node_id: str, turn: Turn, lead: str, attempt: int, queue: bool
) -> None:
    text = ASK_NUMBER if attempt == 1 else ASK_AGAIN
    data = _data(TYPING, queue)
    _ask(node_id, turn, data, [lead, text], attempt, digits=None, timeout=node.timeout)


def enter(node: CallbackNode, node_id: str, turn: Turn) -> None:
    turn.personal = True  # the caller's number, their protocol
    queue = turn.queue_callback
    intro = FROM_QUEUE if queue else ""
    if node.say is not None:
        intro = f"{intro} {turn.render(node.say)}".strip()
    own = _own_number(turn.ctx.caller)
    if own is None:
        _ask_number(node, node_id, turn, f"{intro} {NO_CALLER_ID}".strip(), 1, queue)
        return None
    offer = OWN_NUMBER.format(number=spoken_phone(own.e164))
    _ask(node_id, turn, _data(OFFER, queue), [intro, offer])
    return None


def _retry(
    node: CallbackNode,
    node_id: str,
    state: CallState,
    event: CallerEvent,
    turn: Turn,
    texts: list[str],
) -> str | None:
    """A wrong key or silence at a question: ask again, or give up after ``retries``."""
    lead = INVALID if event.digits else NO_INPUT
    if state.attempt >= node.retries:
        turn.say(lead)
        return node.after_retries
    _ask(node_id, turn, state.data, [lead, *texts], state.attempt + 1)
    return None


def _first_sentence(text: str) -> str:
    head, dot, _rest = text.partition(". ")
    return head + "." if dot else text


def _typed(
    node: CallbackNode,
    node_id: str,
    state: CallState,
    event: CallerEvent,
    turn: Turn,
    queue: bool,
) -> str | None:
    typed = (event.digits or "").replace("#", "").replace("*", "")
    try:
        number = callback_number(typed, turn.ctx.caller) if typed else None
        if number is None:
            raise NumberRefused(Refusal.EMPTY)
    except NumberRefused as refused:
        if state.attempt >= node.retries:
            turn.say(_first_sentence(refused.message))
            turn.say(GAVE_UP)
            return node.after_retries
        _ask_number(node, node_id, turn, refused.message, state.attempt + 1, queue)
        return None
    template = AREA_ASSUMED if number.area_code_assumed else CONFIRM
    text = template.format(number=spoken_phone(number.e164))
    # Keying again after a read-back counts as a try: the questions stay bounded.
    _ask(node_id, turn, _data(CONFIRMING, queue, number), [text], state.attempt)
    return None


def _number_known(
    node: CallbackNode, node_id: str, turn: Turn, number: CallbackNumber, queue: bool
) -> str | None:
    """The number is settled: tell an existing booking, else ask when to call."""
    desk = turn.ctx.callbacks
    if desk is None:
        turn.say(UNAVAILABLE)
        return node.after_retries
    try:
        existing = desk.active(number.e164, _line(node, turn))
    except Exception:
        log.exception("callback lookup failed for CallSid=%s", turn.ctx.call_sid)
        turn.say(UNAVAILABLE)
        return node.after_retries
    if existing is not None:
        _offer_existing(node_id, turn, number, existing, queue)
        return None
    if queue:  # no question of when: the caller keeps their place
        return _book(node, node_id, turn, number, ASAP, queue)
    _ask(node_id, turn, _data(CHOOSING, queue, number), [WHEN])
    return None


def _offer_existing(
    node_id: str, turn: Turn, number: CallbackNumber, note: CallbackNote, queue: bool
) -> None:
    told = existing_phrase(note.start, note.end, turn.ctx.now)
    protocol = f"O protocolo é {spoken_protocol(note.protocol)}."
    _ask(node_id, turn, _data(EXISTING, queue, number), [told, protocol, KEEP_OR_CANCEL])


def _done(node: CallbackNode, node_id: str, turn: Turn) -> str | None:
    turn.booked = True
    if node.next is not None:
        return node.next
    turn.say(GOODBYE)
    turn.hang_up(Outcome("callback", node_id))
    return None


def _book(
    node: CallbackNode, node_id: str, turn: Turn, number: CallbackNumber, when: str, queue: bool
) -> str | None:
    desk = turn.ctx.callbacks
    request = CallbackRequest(turn.ctx.call_sid, number.e164, _line(node, turn), when)
    try:
        note = desk.book(request, turn.ctx.now) if desk is not None else None
    except Exception:
        log.exception("callback booking failed for CallSid=%s", turn.ctx.call_sid)
        turn.say(UNAVAILABLE)
        return node.after_retries
    if desk is None:
        turn.say(UNAVAILABLE)
        return node.after_retries
    if note is None:
        turn.say(NO_SLOT)
        return node.after_retries
    if note.existing:  # booked a moment ago, in another call
        _offer_existing(node_id, turn, number, note, queue)
        return None
    groups = spoken_protocol(note.protocol)
    if when == ASAP and note.start <= turn.ctx.now + timedelta(minutes=1):
        turn.say(BOOKED_FROM_QUEUE)
    elif when == ASAP:  # the line is closed now: at its opening
        turn.say(f"Vamos ligar para você {spoken_opening(note.start, turn.ctx.now)}.")
    else:
        turn.say(confirmation_phrase(note.start, note.end, turn.ctx.now))
    turn.actions.extend(
        (
            Say("Anote o número do protocolo:"),
            Say(groups + "."),
            Pause(1),
            Say(f"Repetindo: {groups}."),
            Pause(1),
        )
    )
    return _done(node, node_id, turn)


def resume(
    node: CallbackNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    turn.personal = True
    phase, queue, digits = _parse(state.data)
    key = event.digits
    if phase == TYPING:
        turn.keys_are_number = True  # the call log keeps them masked
        return _typed(node, node_id, state, event, turn, queue)
    if phase == OFFER:
        own = _own_number(turn.ctx.caller)
        if key == "1" and own is not None:
            return _number_known(node, node_id, turn, own, queue)
        if key == "2" or own is None:
            _ask_number(node, node_id, turn, "", 1, queue)
            return None
        offer = OWN_NUMBER.format(number=spoken_phone(own.e164))
        return _retry(node, node_id, state, event, turn, [offer])
    number = _number_of(digits)
    if number is None:  # never made by us: start over
        _ask_number(node, node_id, turn, "", 1, queue)
        return None
    if phase == CONFIRMING:
        if key == "1":
            return _number_known(node, node_id, turn, number, queue)
        if key == "2":
            if state.attempt >= node.retries:
                turn.say(GAVE_UP)
                return node.after_retries
            _ask_number(node, node_id, turn, "", state.attempt + 1, queue)
            return None
        text = CONFIRM.format(number=spoken_phone(number.e164))
        return _retry(node, node_id, state, event, turn, [text])
    if phase == EXISTING:
        desk = turn.ctx.callbacks
        if key == "2" and desk is not None:
            try:
                desk.cancel(number.e164, _line(node, turn), turn.ctx.now)
            except Exception:
                log.exception("callback cancel failed for CallSid=%s", turn.ctx.call_sid)
                turn.say(UNAVAILABLE)
                return node.after_retries
            turn.say(CANCELLED)
            if node.next is not None:
                return node.next
            turn.say(GOODBYE)
            turn.hang_up(Outcome("hung_up", node_id))
            return None
        turn.say(KEPT)  # 1, silence or anything else: nothing is lost
        return _done(node, node_id, turn)
    if phase == CHOOSING:
        when = WHEN_KEYS.get(key or "")
        if when is not None:
            return _book(node, node_id, turn, number, when, queue)
        return _retry(node, node_id, state, event, turn, [WHEN])
    _ask_number(node, node_id, turn, "", 1, queue)
    return None


KIND = NodeKind("callback", CallbackNode, enter, resume)  # type: ignore[arg-type]
