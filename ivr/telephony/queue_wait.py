"""What a caller waiting in a queue hears: their place and an honest estimate.

Twilio requests the ``<Enqueue waitUrl>`` every time the previous answer
has finished playing, with the caller's ``QueuePosition`` (1 = next),
``QueueTime`` (seconds this caller has waited), ``AvgQueueTime`` (seconds
callers of this queue have waited on average lately: the line's own recent
history) and ``CurrentQueueSize``. The answer is the announcement, then
music or silence for the configured interval; then Twilio asks again.

The estimate never promises less than what is known: callers wait
``AvgQueueTime`` on average, so this caller, having waited ``QueueTime``,
still has at least the difference ahead; and each caller ahead takes, on
average, the average wait shared out over the queue. The larger of the two
is rounded *up* to what a person would say ("cerca de 5 minutos", "cerca de
meia hora"), never down.

Where the transfer offers a callback, each round is a ``<Gather>`` that
also says "Se preferir, digite 1 para receber o retorno sem perder a sua
vez."; Twilio posts the key to the same wait URL (``p=1``), and 1 answers
``<Leave>``: the ``<Enqueue>`` action then takes the caller to the callback
node (``ivr.menus.nodes.transfer``). Any other key just goes on waiting.
"""

from __future__ import annotations

import math
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.menus.nodes.transfer import CLOSING_NOTICE

WAIT_PATH = "/voice/wait"

CALLBACK_OFFER = "Se preferir, digite 1 para receber o retorno sem perder a sua vez."

CLOSING = (
    "Atenção: o nosso atendimento de hoje está terminando e não conseguiremos "
    "atender você antes do fechamento."
)

_ORDINALS = (
    "",
    "primeiro",
    "segundo",
    "terceiro",
    "quarto",
    "quinto",
    "sexto",
    "sétimo",
    "oitavo",
    "nono",
    "décimo",
)
_TENS = {10: "décimo", 20: "vigésimo"}

# The round numbers of minutes people say, in order; beyond the last, whole
# quarter hours.
_SPOKEN_MINUTES = (1, 2, 3, 4, 5, 10, 15, 20, 25, 30, 40, 45, 50, 60)


def ordinal(position: int) -> str | None:
    """The masculine pt-BR ordinal word for 1-29 ("terceiro", "décimo segundo"); else None."""
    if 1 <= position <= 10:
        return _ORDINALS[position]
    if position < 30:
        tens, units = divmod(position, 10)
        word = _TENS[tens * 10]
        return f"{word} {_ORDINALS[units]}" if units else word
    return None


def estimate_seconds(position: int, waited: int, average: int, queue_size: int) -> int | None:
    """Seconds this caller will probably still wait; None when nothing is known yet.

    At least what callers wait on average minus what this caller has already
    waited, and at least ``position`` shares of the average wait spread over
    the callers now in the queue.
    """
    if average <= 0 or position <= 0:
        return None
    left_of_average = max(average - max(waited, 0), 0)
    # Integer ceiling: a float share can round up past a minute boundary for
    # one place and not the next, making a later place sound shorter.
    shares = max(queue_size, position, 1)
    return max(left_of_average, -(-position * average // shares))


def spoken_minutes(seconds: int) -> int:
    """``seconds`` rounded up to minutes a person would say: 1-5, then 10, 15, …, then 1/4 h."""
    minutes = max(1, math.ceil(seconds / 60))
    for spoken in _SPOKEN_MINUTES:
        if minutes <= spoken:
            return spoken
    return math.ceil(minutes / 15) * 15


def _duration(minutes: int) -> str:
    if minutes == 1:
        return "1 minuto"
    if minutes < 60:
        return "meia hora" if minutes == 30 else f"{minutes} minutos"
    hours, rest = divmod(minutes, 60)
    hour_words = "1 hora" if hours == 1 else f"{hours} horas"
    if not rest:
        return hour_words
    if rest == 30:
        return f"{hour_words} e meia"
    return f"{hour_words} e {rest} minutos"


def wait_phrase(position: int, estimate: int | None) -> str:
    """The announcement: "Você é o terceiro da fila. A espera estimada é de cerca de 5 minutos."."""
    word = ordinal(position)
    if position == 1:
        place = "Você é o próximo da fila."
    elif word is not None:
        place = f"Você é o {word} da fila."
    else:
        place = f"Há {position - 1} pessoas na sua frente na fila."
    if estimate is None:
        return f"{place} Por favor, aguarde: logo você será atendido."
    return f"{place} A espera estimada é de cerca de {_duration(spoken_minutes(estimate))}."


@dataclass(frozen=True, slots=True)
class WaitSettings:
    """What rides in the wait URL: the interval and the music between announcements."""

    every: int = 45
    music: str | None = None
    closes_at: int | None = None  # Unix seconds: from CLOSING_NOTICE before, callers leave
    offer_callback: bool = False  # each round offers the callback that keeps the place
    pressed: bool = False  # the request carries the key the caller pressed in a round


def wait_url(settings: WaitSettings) -> str:
    """The (relative) wait URL. The music URL rides in unpadded base64url: percent
    escapes would be at the mercy of every proxy's idea of a canonical URL, and
    Twilio signs the URL exactly as written."""
    url = f"{WAIT_PATH}?e={settings.every}"
    if settings.closes_at is not None:
        url += f"&c={settings.closes_at}"
    if settings.offer_callback:
        url += "&k=1"
    if settings.music:
        url += f"&m={urlsafe_b64encode(settings.music.encode()).decode().rstrip('=')}"
    return f"{url}&p=1" if settings.pressed else url


def parse_wait_query(query: str) -> WaitSettings:
    """Inverse of :func:`wait_url`; anything unreadable falls back to the defaults."""
    fields = dict(part.partition("=")[::2] for part in query.split("&") if part)
    every = fields.get("e", "")
    music = None
    if encoded := fields.get("m", ""):
        try:
            music = urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode() or None
        except ValueError:
            music = None
    closes = fields.get("c", "")
    return WaitSettings(
        every=min(int(every), 600) if every.isdecimal() else WaitSettings.every,
        music=music,
        closes_at=int(closes) if closes.isdecimal() and len(closes) <= 12 else None,
        offer_callback=fields.get("k") == "1",
        pressed=fields.get("p") == "1",
    )


def _count(form: Mapping[str, str], name: str) -> int:
    value = form.get(name, "")
    return int(value) if value.isdecimal() and len(value) <= 9 else 0


class WaitAnnouncer:
    """Answers Twilio's wait-URL requests; pure (no I/O), cached per distinct answer."""

    def __init__(self, voice: str, language: str = "pt-BR", cache_size: int = 4096) -> None:
        self.voice = voice
        self.language = language
        self._render = lru_cache(maxsize=cache_size)(self._twiml)
        response = VoiceResponse()
        response.say(CLOSING, voice=voice, language=language)
        response.leave()
        self._closing = str(response)
        leave = VoiceResponse()
        leave.leave()
        self._leave = str(leave)

    def answer(self, settings: WaitSettings, form: Mapping[str, str], now: float) -> str:
        """The answer at ``now`` (Unix seconds): the announcement, or at closing time the
        notice and <Leave> (the <Enqueue> action then takes the caller on)."""
        if settings.closes_at is not None and now >= settings.closes_at - CLOSING_NOTICE:
            return self._closing
        if settings.pressed:
            if form.get("Digits") == "1" and settings.offer_callback:
                return self._leave  # the <Enqueue> action takes the caller to the callback
            settings = replace(settings, pressed=False)  # another key: keep waiting
        position = _count(form, "QueuePosition")
        estimate = estimate_seconds(
            position,
            _count(form, "QueueTime"),
            _count(form, "AvgQueueTime"),
            _count(form, "CurrentQueueSize"),
        )
        # Keyed by what is said, not the raw numbers: few distinct answers.
        minutes = spoken_minutes(estimate) * 60 if estimate is not None else None
        return self._render(settings, position, minutes)

    def _twiml(self, settings: WaitSettings, position: int, estimate: int | None) -> str:
        response = VoiceResponse()
        round_: VoiceResponse | Gather = response
        if settings.offer_callback:  # keys pressed at any moment of the round are heard
            round_ = response.gather(
                action=wait_url(replace(settings, pressed=True)),
                method="POST",
                num_digits=1,
                timeout=1,
                input="dtmf",
            )
        if position > 0 and settings.every > 0:
            round_.say(wait_phrase(position, estimate), voice=self.voice, language=self.language)
        if settings.offer_callback:
            round_.say(CALLBACK_OFFER, voice=self.voice, language=self.language)
        if settings.music:
            round_.play(settings.music)
        else:
            round_.pause(length=max(settings.every, 5))
        return str(response)
