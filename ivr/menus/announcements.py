"""What a menu prompt tells the caller: the keys it announces, how long it takes.

Pure text analysis for the prompt rules of ``ivr.menus.lint``.

Announced keys
    A key is announced by a verb of pressing ("digite", "tecle", "pressione",
    "disque", "aperte", also their infinitives) followed by the key, with an
    optional "a tecla" / "o número" in between: "digite 3", "tecle a tecla
    asterisco", "pressione zero". A key is a single digit, a digit spelled
    out (zero, um/uma, dois/duas, três, quatro, cinco, seis/meia, sete, oito,
    nove), ``*`` (asterisco, estrela) or ``#`` (sustenido, cerquilha, jogo da
    velha, hashtag). "digite 1, 2 ou 3" announces all three. A spelled "um"
    must stand alone ("digite um número" is not key 1): the word after a
    spelled key must end the sentence or be "ou", "e", "para", "se" or "caso".

Speaking time
    pt-BR text-to-speech (Polly Camila, Google pt-BR) reads about 14
    characters a second, spaces and punctuation included; we count
    characters rather than words because words vary a lot in length in
    support prompts ("obrigações acessórias" vs "digite 1"). A variable is
    counted as a typical value: the longest line name for ``{linha}``, a
    mobile number read digit by digit for ``{numero}``, a typical "closed"
    sentence for ``{aviso_horario}``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ivr.menus.prompts import Prompt
from ivr.menus.speech import SPOKEN_KEYS

CHARACTERS_PER_SECOND = 14.0

TYPICAL_NUMBER = "1 1, 9 8 7 6 5, 4 3 2 1"
TYPICAL_CLOSED = "Nosso atendimento de hoje já foi encerrado. Voltamos amanhã, às 8 horas."

_SPELLED = SPOKEN_KEYS  # one list of spoken keys for the lint and the speech matcher

_VERB = r"\b(?:digite|digitar|tecle|teclar|pressione|pressionar|disque|discar|aperte|apertar)"
_ARTICLE = r"(?:\s+(?:a\s+tecla|o\s+numero|o\s+digito|o\s+botao|o|a))?"
_WORD = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _SPELLED), key=len)[::-1])
# A spelled key must stand alone: "digite um número" is not key 1.
_ALONE = r"(?=\s*(?:$|[.,;:!?)]|\b(?:ou|e|para|se|caso)\b))"
_KEY = rf"(?:\d(?!\d)|[*#](?!\w)|\b(?:{_WORD})\b{_ALONE})"
_ANNOUNCEMENT = re.compile(
    rf"{_VERB}{_ARTICLE}\s+(?P<keys>{_KEY}(?:\s*(?:,|\bou\b|\be\b)\s*{_KEY})*)"
)
_ONE_KEY = re.compile(_KEY)


def _plain(text: str) -> str:
    """Lower case without accents, character for character (offsets are kept)."""
    return "".join(unicodedata.normalize("NFKD", ch)[0].lower()[:1] or ch for ch in text)


def _key_of(token: str) -> str:
    token = " ".join(token.split())
    return _SPELLED.get(token, token)


def announced_keys(prompt: Prompt) -> list[tuple[str, str]]:
    """Each key the prompt announces, with the words that announce it, in order.

    Only the literal text is read (variables are never announcements):
    ``"Para o fiscal, digite 1."`` gives ``[("1", "digite 1")]``.
    """
    found: list[tuple[str, str]] = []
    for literal in prompt.parts[0::2]:
        for match in _ANNOUNCEMENT.finditer(_plain(literal)):
            words = " ".join(literal[match.start() : match.end()].split())
            for key in _ONE_KEY.finditer(match.group("keys")):
                found.append((_key_of(key.group(0)), words))
    return found


def speaking_seconds(prompt: Prompt, line_names: Iterable[str] = ()) -> float:
    """About how long text-to-speech takes to read ``prompt`` (see the module doc)."""
    typical = {
        "linha": max(line_names, key=len, default=""),
        "numero": TYPICAL_NUMBER,
        "aviso_horario": TYPICAL_CLOSED,
    }
    text = prompt.render(lambda name: typical.get(name, ""))
    return len(" ".join(text.split())) / CHARACTERS_PER_SECOND
