"""Actions → TwiML. The only module that knows Twilio's XML vocabulary."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.menus.actions import (
    Action,
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
from ivr.menus.nodes.voicemail import RECORDING_NOTICE
from ivr.telephony.queue_wait import WaitSettings, wait_url
from ivr.telephony.state_url import StateCodec

APOLOGY = (
    "Desculpe, tivemos um problema técnico. "
    "Vamos transferir sua ligação para um de nossos atendentes."
)
APOLOGY_VOICEMAIL = (  # the LGPD notice before anything is recorded, as in every voicemail
    f"Desculpe, tivemos um problema técnico. {RECORDING_NOTICE} "
    "Depois do sinal, deixe uma mensagem com o seu nome, "
    "a sua empresa e um telefone com DDD, e nós retornaremos a ligação."
)
RECORDED = "Recebemos a sua mensagem. Obrigado por ligar. Até logo!"
RECORD_AGAIN = "Nenhuma mensagem foi gravada. Vamos tentar mais uma vez: fale depois do sinal."
NOT_RECORDED = "Não recebemos nenhuma mensagem. Por favor, ligue novamente mais tarde."
SAFE_RECORDING_PATH = "/voice/recorded"  # keeps the message and says goodbye: no engine
SAFE_RECORDING_RETRY = SAFE_RECORDING_PATH + "?tentativa=2"  # the one more try
APOLOGY_NO_ROUTE = (
    "Desculpe, tivemos um problema técnico e não conseguimos completar o seu atendimento agora. "
    "Por favor, ligue novamente em alguns minutos."
)


# Stands for the request counter in a cached response. NUL cannot occur in
# XML text, so no prompt or other text can contain it.
_STEP_MARK = "\x00step\x00"


class Renderer:
    """Renders action lists with one voice and language for every <Say>.

    Building and serialising the XML tree costs far more than the rest of a
    webhook, and a menu produces few distinct responses: they differ only by
    the request counter in their URLs. So each response is rendered once
    with a mark in place of the counter, kept as the pieces around the
    marks, and reused by joining them with the counter (bounded LRU).
    """

    def __init__(
        self, voice: str, language: str = "pt-BR", cache_size: int = 4096, *, codec: StateCodec
    ) -> None:
        self.voice = voice
        self.codec = codec  # writes the step URLs; the call handler reads them with it
        self.language = language
        self._template = lru_cache(maxsize=cache_size)(self._render_template)

    def render(self, actions: Iterable[Action], *, personal: bool = False) -> str:
        """``personal``: said to one caller only (their number, a protocol), rendered
        without the cache, which keeps the answers many callers share."""
        actions = tuple(actions)
        steps = {action.then.step for action in actions if hasattr(action, "then")}
        if len(steps) > 1 or personal:  # rendered exactly, uncached
            return self._render(actions, None)
        pieces = self._template(actions)
        if pieces is None:
            return self._render(actions, None)
        return str(steps.pop()).join(pieces) if steps else pieces[0]

    def _render_template(self, actions: tuple[Action, ...]) -> tuple[str, ...] | None:
        """The response cut at the counter's places; None if it cannot be cut safely."""
        pieces = tuple(self._render(actions, _STEP_MARK).split(_STEP_MARK))
        urls = sum(1 for action in actions if hasattr(action, "then"))
        # One mark per action URL, else some text held a NUL: render that exactly, every time.
        return pieces if len(pieces) == urls + 1 else None

    def _render(self, actions: tuple[Action, ...], step: str | None) -> str:
        response = VoiceResponse()
        for action in actions:
            self._add(response, action, step)
        return str(response)

    def apology(self, number: str = "", queue: str = "", *, voicemail: bool = False) -> str:
        """What a caller hears when serving a step failed: an apology and a safe route.

        A person (``number`` or ``queue``), else a voicemail, else a plain
        apology. Deliberately without action URLs into the menu code: a
        broken step cannot loop back into the code that just failed. The
        voicemail's only URL is ``SAFE_RECORDING_PATH``, which logs the
        recording and says goodbye.
        """
        response = VoiceResponse()
        if number or queue:
            self._say(response, APOLOGY)
            if number:
                response.dial(number)
            else:
                response.enqueue(queue)
        elif voicemail:
            self._say(response, APOLOGY_VOICEMAIL)
            self._record(response, SAFE_RECORDING_PATH)
            return str(response)
        else:
            self._say(response, APOLOGY_NO_ROUTE)
        response.hangup()
        return str(response)

    def recorded(self, actions: Iterable[Say | Pause] = (Say(RECORDED),)) -> str:
        """The goodbye after a voicemail left on the safe route (its protocol, if any)."""
        response = VoiceResponse()
        for action in actions:
            self._prompt(response, action)
        response.hangup()
        return str(response)

    def record_again(self) -> str:
        """Nothing was recorded on the safe route: say so, and one more try."""
        response = VoiceResponse()
        self._say(response, RECORD_AGAIN)
        self._record(response, SAFE_RECORDING_RETRY)
        return str(response)

    def not_recorded(self) -> str:
        """Nothing recorded on the one more try either: a goodbye that promises nothing."""
        response = VoiceResponse()
        self._say(response, NOT_RECORDED)
        response.hangup()
        return str(response)

    def _record(self, response: VoiceResponse, action: str) -> None:
        response.record(action=action, method="POST", max_length=120, play_beep=True)
        # Twilio skips the action when nothing was recorded and falls through to here.
        response.redirect(action, method="POST")

    def _say(self, parent: VoiceResponse | Gather, text: str) -> None:
        parent.say(text, voice=self.voice, language=self.language)

    def _prompt(self, parent: VoiceResponse | Gather, prompt: Say | Play | Pause) -> None:
        """What the caller hears, at the top level or inside a <Gather>."""
        match prompt:
            case Say(text):
                self._say(parent, text)
            case Play(url):
                parent.play(url)
            case Pause(seconds):
                parent.pause(length=seconds)

    def _add(self, response: VoiceResponse, action: Action, step: str | None) -> None:
        match action:
            case Say() | Play() | Pause():
                self._prompt(response, action)
            case GatherAction():
                self._gather(response, action, step)
            case Dial():
                dial = response.dial(
                    action=self.codec.url(action.then, step), method="POST", timeout=action.timeout
                )
                if action.sip:
                    dial.sip(action.sip)
                else:
                    dial.number(action.number)
            case Enqueue(queue, then, every, music, closes_at, offer):
                kwargs: dict[str, object] = {}
                if every or music or closes_at is not None or offer:  # else Twilio's hold music
                    kwargs = {
                        "wait_url": wait_url(WaitSettings(every, music, closes_at, offer)),
                        "wait_url_method": "POST",
                    }
                response.enqueue(queue, action=self.codec.url(then, step), method="POST", **kwargs)
            case Record():
                response.record(
                    action=self.codec.url(action.then, step),
                    method="POST",
                    max_length=action.max_length,
                    play_beep=action.play_beep,
                    finish_on_key=action.finish_on_key,
                )
            case Redirect(then):
                response.redirect(self.codec.url(then, step), method="POST")
            case Hangup():
                response.hangup()
            case _:
                raise TypeError(f"cannot render {action!r}")

    def _gather(self, response: VoiceResponse, action: GatherAction, step: str | None) -> None:
        kwargs: dict[str, object] = {
            "action": self.codec.url(action.then, step),
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
            self._prompt(gather, prompt)


def callback_twiml(voice: str, language: str, text: str, queue: str | None) -> str:
    """An outbound callback: say ``text``, then wait in ``queue`` for an agent (or hang up)."""
    response = VoiceResponse()
    response.say(text, voice=voice, language=language)
    if queue:
        response.enqueue(queue)
    else:
        response.hangup()
    return str(response)
