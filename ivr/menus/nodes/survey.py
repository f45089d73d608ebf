"""``survey``: after talking to an agent, the caller rates the service from 1 to 5.

A line turns it on with ``survey: NODE`` (``ivr.menus.document.ProductLine``):
when a transfer of that line ends after the caller was put through to
someone (Twilio's ``DialCallStatus`` ``completed`` / ``answered``, or
``QueueResult`` ``bridged``) and the caller is still on the line, the call
comes here instead of hanging up. A caller who was never put through (no
agent, the queue left, a hang-up in the queue) is never asked.

The rating is a key from 1 to 5 or a spoken one ("quatro", "nota 4"),
matched by ``ivr.menus.speech``. Anything else is asked again, up to
``retries`` attempts; after the last one the caller is thanked and nothing
is counted. Then, when ``comment`` is given, the caller may leave a
comment: spoken (``comment_by: speech``, what the recogniser heard is kept)
or recorded after a beep (``comment_by: record``, the recording's link is
kept; the caller is told it is recorded first). A caller who hangs up
instead of answering leaves no rating: Twilio does not call a
``<Gather>``'s action after a hang-up.

Each answer is ``Step.survey`` of the step that received it; the call log
stores it keyed by CallSid and step, so a request Twilio replays is stored
once. The survey ends the call after ``thanks`` (the transfer's outcome,
``transferred``, stays the call's).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Literal

from pydantic import Field

from ivr.menus.actions import CallState, Gather, Hangup, Record, Redirect, Say, SurveyAnswer
from ivr.menus.context import CallerEvent
from ivr.menus.nodes.base import Loc, NodeKind, NodeModel, PromptText
from ivr.menus.prompts import Prompt, parse_prompt
from ivr.menus.speech import SpeechMatcher
from ivr.menus.turn import Turn

DEFAULT_QUESTION = parse_prompt(
    "Obrigado por falar com a gente. De 1 a 5, que nota você dá para o atendimento de hoje? "
    "Digite ou diga um número de 1 a 5."
)
DEFAULT_AGAIN = parse_prompt(
    "Que nota, de 1 a 5, você dá para o atendimento de hoje? Digite ou diga um número."
)
DEFAULT_INVALID = parse_prompt("Desculpe, não entendi. A nota vai de 1 a 5.")
DEFAULT_NO_INPUT = parse_prompt("Não recebemos a sua nota.")
DEFAULT_THANKS = parse_prompt("Obrigado pela sua avaliação. Tenha um ótimo dia!")
NOT_RATED = "Tudo bem, fica para a próxima. Obrigado por ligar. Até logo!"
# Said before a recorded comment: the caller knows it is recorded before it is (LGPD).
RECORDING_NOTICE = (
    "A sua opinião será gravada. Fale depois do sinal e, ao terminar, digite sustenido."
)

# Added to ``CallState.attempt`` while the caller leaves a spoken comment.
COMMENT = 10
COMMENT_SECONDS = 8  # silence before a spoken comment is given up

RATINGS = ("1", "2", "3", "4", "5")
# What a caller may say for each rating; "quatro" and "4" are also keys said by name.
_SPOKEN_RATINGS: dict[str, tuple[str, ...]] = {
    "1": ("um", "uma", "1", "péssimo"),
    "2": ("dois", "duas", "2", "ruim"),
    "3": ("três", "3", "regular"),
    "4": ("quatro", "4"),
    "5": ("cinco", "5", "ótimo", "excelente"),
}
SPEECH_HINTS = ("1", "2", "3", "4", "5", "um", "dois", "três", "quatro", "cinco")


@cache
def _matcher() -> SpeechMatcher:
    return SpeechMatcher.build(_SPOKEN_RATINGS, RATINGS)


def rating_of(digits: str | None, speech: str | None) -> int | None:
    """The rating a caller gave by key or voice ("quatro", "nota 4"), or None."""
    if digits:
        return int(digits) if digits in RATINGS else None
    if speech:
        key = _matcher().match(speech)
        return int(key) if key is not None else None
    return None


class SurveyNode(NodeModel):
    kind: Literal["survey"]
    say: PromptText = DEFAULT_QUESTION
    again: PromptText = DEFAULT_AGAIN  # the question asked again, after ``invalid`` / ``no_input``
    invalid: PromptText = DEFAULT_INVALID
    no_input: PromptText = DEFAULT_NO_INPUT
    comment: PromptText | None = None  # the invitation to comment; None: no comment asked
    comment_by: Literal["speech", "record"] = "speech"
    comment_max_length: int = Field(60, ge=5, le=300)  # seconds of a recorded comment
    thanks: PromptText = DEFAULT_THANKS
    timeout: int = Field(6, ge=1, le=60)
    retries: int = Field(2, ge=1, le=5)

    # It ends the call. The caller has just talked to a person, so unlike a
    # menu it needs no way to one: it does not count as a menu for the linter.
    ends_call = True

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        yield ("say",), self.say
        yield ("again",), self.again
        yield ("invalid",), self.invalid
        yield ("no_input",), self.no_input
        if self.comment is not None:
            yield ("comment",), self.comment
        yield ("thanks",), self.thanks


def _ask(node: SurveyNode, node_id: str, turn: Turn, attempt: int, lead: Prompt | None) -> None:
    prompts: list[Say] = []
    for prompt in (lead, node.again if lead is not None else node.say):
        text = turn.render(prompt) if prompt is not None else ""
        if text.strip():
            prompts.append(Say(text))
    then = turn.state(node_id, attempt=attempt)
    turn.actions.append(
        Gather(prompts=tuple(prompts), then=then, timeout=node.timeout, speech_hints=SPEECH_HINTS)
    )
    turn.actions.append(Redirect(then))  # silence comes back here


def _invite_comment(node: SurveyNode, node_id: str, turn: Turn) -> None:
    text = turn.render(node.comment) if node.comment is not None else ""
    if node.comment_by == "record":
        turn.say(text)
        turn.say(RECORDING_NOTICE)
        turn.actions.append(
            Record(then=turn.state(node_id, expect="record"), max_length=node.comment_max_length)
        )
        # Nothing recorded: Twilio goes on to the next verbs without calling back.
        _thank(node, turn)
        return
    then = turn.state(node_id, attempt=COMMENT)
    turn.actions.append(
        Gather(
            prompts=(Say(text),) if text.strip() else (),
            then=then,
            timeout=COMMENT_SECONDS,
            num_digits=None,
            speech_hints=(),
            finish_on_key="#",
        )
    )
    turn.actions.append(Redirect(then))  # silence: no comment, the caller is thanked


def _thank(node: SurveyNode, turn: Turn) -> None:
    turn.say(node.thanks)
    turn.actions.append(Hangup())  # no outcome: the transfer's stays the call's


def enter(node: SurveyNode, node_id: str, turn: Turn) -> None:
    _ask(node, node_id, turn, 1, None)
    return None


def resume(
    node: SurveyNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    if state.expect == "record":
        if event.recording_url and event.recording_duration != 0:
            turn.survey = SurveyAnswer(recording_url=event.recording_url)
        _thank(node, turn)
        return None
    if state.attempt >= COMMENT:
        said = (event.speech or "").strip()
        if said:
            turn.survey = SurveyAnswer(comment=said)
        _thank(node, turn)
        return None
    rating = rating_of(event.digits, event.speech)
    if rating is not None:
        turn.survey = SurveyAnswer(rating=rating)
        if node.comment is not None:
            _invite_comment(node, node_id, turn)
        else:
            _thank(node, turn)
        return None
    silent = not event.digits and not (event.speech and event.speech.strip())
    message = node.no_input if silent else node.invalid
    if state.attempt >= node.retries:
        turn.say(message)
        turn.say(NOT_RATED)
        turn.actions.append(Hangup())
        return None
    turn.path.append(node_id)
    _ask(node, node_id, turn, state.attempt + 1, message)
    return None


KIND = NodeKind("survey", SurveyNode, enter, resume)  # type: ignore[arg-type]
