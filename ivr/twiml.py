"""Actions → TwiML. The only module that knows Twilio's XML vocabulary."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.menus.actions import (
    Action,
    CallState,
    Dial,
    Enqueue,
    Hangup,
    Pause,
    Play,
    Record,
    Redirect,
    Say,
)
from ivr.menus.actions import Gather as GatherAction

STEP_PATH = "/voice/step"

APOLOGY = (
    "Desculpe, tivemos um problema técnico. "
    "Vamos transferir sua ligação para um de nossos atendentes."
)
APOLOGY_NO_ROUTE = (
    "Desculpe, tivemos um problema técnico e não conseguimos completar o seu atendimento agora. "
    "Por favor, ligue novamente em alguns minutos."
)


def state_url(state: CallState) -> str:
    """The (relative) URL whose query string carries the call state.

    Twilio resolves it against the URL of the current request and signs the
    absolute form when it calls back, so the state cannot be tampered with.
    """
    query: dict[str, str | int] = {"v": state.version, "n": state.node, "k": state.step}
    if state.attempt != 1:
        query["a"] = state.attempt
    if state.line:
        query["l"] = state.line
    if state.expect != "input":
        query["e"] = state.expect
    return f"{STEP_PATH}?{urlencode(query)}"


def parse_state(args: dict[str, str] | object) -> CallState:
    """Inverse of :func:`state_url`, from the request's query arguments."""
    get = args.get  # type: ignore[attr-defined]
    expect = get("e", "input")
    if expect not in ("input", "dial", "record", "enqueue"):
        raise ValueError(f"unknown expectation {expect!r}")
    return CallState(
        version=int(get("v")),
        node=get("n"),
        attempt=int(get("a", 1)),
        line=get("l") or None,
        step=int(get("k", 0)),
        expect=expect,
    )


class Renderer:
    """Renders action lists with one voice and language for every <Say>."""

    def __init__(self, voice: str, language: str = "pt-BR") -> None:
        self.voice = voice
        self.language = language

    def render(self, actions: Iterable[Action]) -> str:
        response = VoiceResponse()
        for action in actions:
            self._add(response, action)
        return str(response)

    def apology(self, number: str = "", queue: str = "") -> str:
        """What a caller hears when serving a step failed: an apology and a person.

        Deliberately without action URLs, so a broken step cannot loop back
        into the code that just failed.
        """
        response = VoiceResponse()
        if number or queue:
            self._say(response, APOLOGY)
            if number:
                response.dial(number)
            else:
                response.enqueue(queue)
        else:
            self._say(response, APOLOGY_NO_ROUTE)
        response.hangup()
        return str(response)

    def _say(self, parent: VoiceResponse | Gather, text: str) -> None:
        parent.say(text, voice=self.voice, language=self.language)

    def _add(self, response: VoiceResponse, action: Action) -> None:
        match action:
            case Say(text):
                self._say(response, text)
            case Play(url):
                response.play(url)
            case Pause(seconds):
                response.pause(length=seconds)
            case GatherAction():
                self._gather(response, action)
            case Dial():
                dial = response.dial(
                    action=state_url(action.then), method="POST", timeout=action.timeout
                )
                if action.sip:
                    dial.sip(action.sip)
                else:
                    dial.number(action.number)
            case Enqueue(queue, then):
                response.enqueue(queue, action=state_url(then), method="POST")
            case Record():
                response.record(
                    action=state_url(action.then),
                    method="POST",
                    max_length=action.max_length,
                    play_beep=action.play_beep,
                    finish_on_key=action.finish_on_key,
                )
            case Redirect(then):
                response.redirect(state_url(then), method="POST")
            case Hangup():
                response.hangup()
            case _:
                raise TypeError(f"cannot render {action!r}")

    def _gather(self, response: VoiceResponse, action: GatherAction) -> None:
        kwargs: dict[str, object] = {
            "action": state_url(action.then),
            "method": "POST",
            "timeout": action.timeout,
            "language": self.language,
        }
        if action.num_digits:
            kwargs["num_digits"] = action.num_digits
        if action.finish_on_key:
            kwargs["finish_on_key"] = action.finish_on_key
        if action.speech_hints is not None:
            kwargs["input"] = "dtmf speech"
            kwargs["speech_timeout"] = "auto"
            if action.speech_hints:
                kwargs["hints"] = ", ".join(action.speech_hints)
        else:
            kwargs["input"] = "dtmf"
        gather = response.gather(**kwargs)
        for prompt in action.prompts:
            match prompt:
                case Say(text):
                    self._say(gather, text)
                case Play(url):
                    gather.play(url)
                case Pause(seconds):
                    gather.pause(length=seconds)
