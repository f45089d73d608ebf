"""``menu``: a prompt, then the caller picks an option by key or by voice.

``intro`` is said on entering the menu ("Você escolheu {linha}."), never on
a re-prompt. Silence or a wrong key re-prompts, up to ``retries`` attempts
in all; after the last failed attempt the call goes to ``after_retries`` (an
agent or the voicemail, say), never to a dead end.

Navigation, the Brazilian convention: ``repeat_key`` (default 9) plays the
options again without counting as an attempt; ``back_key`` (default ``*``)
goes to ``back``, the menu before, when one is given. "repetir" / "voltar"
work by voice too. Each is announced once per call, on the first menu that
offers it (``CallState.told``); an option on the same key takes precedence
and the menu goes without that navigation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ivr.menus.actions import CallState, Gather, Play, Redirect, Say
from ivr.menus.context import CallerEvent
from ivr.menus.nodes.base import (
    AudioUrl,
    Ident,
    Loc,
    NodeKind,
    NodeModel,
    PromptText,
    say_or_play,
)
from ivr.menus.prompts import Prompt, parse_prompt
from ivr.menus.speech import SpeechMatcher
from ivr.menus.speech import normalize as normalize_speech
from ivr.menus.turn import Turn

DTMF_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")

DEFAULT_INVALID = parse_prompt("Desculpe, essa opção não é válida.")
DEFAULT_NO_INPUT = parse_prompt("Desculpe, não recebemos nenhuma resposta.")

# Navigation: the bit of ``CallState.told``, what callers may say, the announcement.
REPEAT, BACK = 1, 2
REPEAT_SPEECH = ("repetir", "de novo", "ouvir novamente", "ouvir as opções de novo")
BACK_SPEECH = ("voltar", "menu anterior")
KEY_NAMES = {"*": "asterisco", "#": "sustenido"}


def repeat_hint(key: str) -> str:
    return f"Para ouvir as opções de novo, digite {KEY_NAMES.get(key, key)}."


def back_hint(key: str) -> str:
    return f"Para voltar ao menu anterior, digite {KEY_NAMES.get(key, key)}."


def _check_key(key: str) -> str:
    if key not in DTMF_KEYS:
        raise ValueError(f"tecla DTMF inválida {key!r}: use uma destas: {' '.join(DTMF_KEYS)}")
    return key


def _check_phrase(phrase: str) -> str:
    if not normalize_speech(phrase):
        raise ValueError("frase de voz vazia")
    return phrase


DtmfKey = Annotated[str, AfterValidator(_check_key)]
Phrase = Annotated[str, AfterValidator(_check_phrase)]


class Option(BaseModel):
    """One choice: where it leads, the product line it picks, what may be said."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    next: Ident
    line: Ident | None = None
    speech: tuple[Phrase, ...] | None = None


class MenuNode(NodeModel):
    kind: Literal["menu"]
    intro: PromptText | None = None
    say: PromptText | None = None
    play: AudioUrl | None = None
    options: dict[DtmfKey, Option]
    timeout: int = Field(5, ge=1, le=60)
    retries: int = Field(3, ge=1, le=5)
    invalid: PromptText = DEFAULT_INVALID
    no_input: PromptText = DEFAULT_NO_INPUT
    after_retries: Ident
    back: Ident | None = None
    repeat_key: DtmfKey | None = "9"
    back_key: DtmfKey = "*"

    takes_input = True

    # Precomputed at load time so a step only looks things up.
    _matcher: SpeechMatcher | None = PrivateAttr(default=None)
    _hints: tuple[str, ...] | None = PrivateAttr(default=None)
    _repeat: str | None = PrivateAttr(default=None)  # the keys that work here
    _back: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> MenuNode:
        say_or_play(self.say, self.play, required=True)
        if not self.options:
            raise ValueError("um menu precisa de pelo menos uma opção")
        seen: dict[str, str] = {}
        for key, option in self.options.items():
            for phrase in option.speech or ():
                norm = normalize_speech(phrase)
                if seen.get(norm, key) != key:
                    raise ValueError(
                        f"a frase de voz {phrase!r} aparece nas opções {seen[norm]!r} e {key!r}"
                    )
                seen[norm] = key
        return self

    def model_post_init(self, context: object, /) -> None:
        repeat = self.repeat_key if self.repeat_key not in self.options else None
        has_back = self.back is not None and self.back_key not in self.options
        back = self.back_key if has_back else None
        self._repeat, self._back = repeat, back
        vocabulary = self.vocabulary()
        if vocabulary:
            said: dict[str, tuple[str, ...]] = dict(vocabulary)
            if repeat is not None:
                said[repeat] = REPEAT_SPEECH
            if back is not None:
                said[back] = BACK_SPEECH
            self._matcher = SpeechMatcher.build(said, [*self.options, *said])
            self._hints = tuple(p for phrases in said.values() for p in phrases)

    def vocabulary(self) -> dict[str, tuple[str, ...]]:
        """What may be said for each key that has speech phrases."""
        return {key: option.speech for key, option in self.options.items() if option.speech}

    def match_speech(self, heard: str) -> str | None:
        """The key of the option the caller asked for by voice, if any (``ivr.menus.speech``)."""
        return self._matcher.match(heard) if self._matcher is not None else None

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        yield ("after_retries",), self.after_retries

    def choice_targets(self) -> Iterator[tuple[Loc, str]]:
        for key, option in self.options.items():
            yield ("options", key, "next"), option.next
        if self.back is not None:
            yield ("back",), self.back

    def navigation_keys(self) -> set[str]:
        """The repeat and back keys that work in this menu."""
        return {key for key in (self._repeat, self._back) if key is not None}

    def lines_used(self) -> Iterator[tuple[Loc, str]]:
        for key, option in self.options.items():
            if option.line is not None:
                yield ("options", key, "line"), option.line

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        if self.intro is not None:
            yield ("intro",), self.intro
        if self.say is not None:
            yield ("say",), self.say
        yield ("invalid",), self.invalid
        yield ("no_input",), self.no_input


def _prompt(
    node: MenuNode, node_id: str, turn: Turn, attempt: int, lead: Prompt | None, *, entering: bool
) -> None:
    """The menu's Gather: ``lead`` (a re-prompt's reason) or, ``entering``, the
    intro; then the options; then the navigation keys not yet announced."""
    prompts: list[Say | Play] = []
    first = node.intro if entering else lead
    if first is not None:
        text = turn.render(first)
        if text.strip():
            prompts.append(Say(text))
    audio = turn.audio(node.say, node.play)
    if audio is not None:
        prompts.append(audio)
    if node._repeat is not None and not turn.told & REPEAT:
        turn.told |= REPEAT
        prompts.append(Say(repeat_hint(node._repeat)))
    if node._back is not None and not turn.told & BACK:
        turn.told |= BACK
        prompts.append(Say(back_hint(node._back)))
    then = turn.state(node_id, attempt=attempt)
    turn.actions.append(
        Gather(prompts=tuple(prompts), then=then, timeout=node.timeout, speech_hints=node._hints)
    )
    # Twilio falls through to the next verb when nobody answers: silence comes back to us.
    turn.actions.append(Redirect(then))


def enter(node: MenuNode, node_id: str, turn: Turn) -> str | None:
    _prompt(node, node_id, turn, 1, None, entering=True)
    return None


def resume(
    node: MenuNode, node_id: str, state: CallState, event: CallerEvent, turn: Turn
) -> str | None:
    if state.expect != "input":
        return node_id
    pressed = event.digits
    heard = event.speech
    key: str | None = None
    if pressed:
        key = pressed if pressed in node.options or pressed in node.navigation_keys() else None
    elif heard:
        key = node.match_speech(heard)
    if key is not None and key in node.options:
        option = node.options[key]
        if option.line is not None:
            turn.line = option.line
        return option.next
    if key is not None and key == node._back:
        return node.back
    if key is not None:  # the repeat key: the options again, the attempt not counted
        turn.path.append(node_id)
        _prompt(node, node_id, turn, state.attempt, None, entering=False)
        return None
    silent = not pressed and not (heard and heard.strip())
    message = node.no_input if silent else node.invalid
    if state.attempt >= node.retries:
        turn.say(message)
        if silent:
            turn.timed_out_at = node_id
        return node.after_retries
    turn.path.append(node_id)
    _prompt(node, node_id, turn, state.attempt + 1, message, entering=False)
    return None


KIND = NodeKind("menu", MenuNode, enter, resume)  # type: ignore[arg-type]
