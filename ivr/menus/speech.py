"""What a caller says, matched to a menu's options.

Callers do not repeat the phrases of a menu word for word: they say "meu
faturamento está parado", "quero cancelar", "dois". So both the options'
phrases and what Twilio heard go through the same reduction:

1. lower case, accents and punctuation dropped ("Expedição!" -> "expedicao");
2. filler words dropped (articles, "meu", "quero", "está", "por favor" …,
   ``FILLERS``);
3. each remaining word cut to its stem by the Snowball Portuguese stemmer,
   so plurals, gender and verb forms meet ("parado"/"parada" -> "par",
   "cancelar"/"cancelamento" -> "cancel").

A phrase matches when each of its stems is close to some stem of what was
said, or its whole word close to a word said: rapidfuzz's ``ratio`` at
least ``THRESHOLD`` (out of 100), which forgives a recogniser's small slips
("faturamentu"). The option whose
matching phrase has the most words wins, then the closest; two options tied
at the top is no match at all (the caller is asked again rather than sent
to the wrong place). A key said on its own ("dois", "2", "opção dois",
"asterisco") is that key.

Everything about a menu's vocabulary is computed once, when the menu loads
(``SpeechMatcher``); a request only reduces what was heard and compares a
handful of short strings.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz

THRESHOLD = 80  # rapidfuzz ratio (0-100) for two stems to count as the same word

# Words that carry no choice, normalized (no accents). Kept short and
# conservative: a word that could name a topic never belongs here.
_FILLER_WORDS = """
    a o as os um uma uns umas de do da dos das no na nos nas em ao aos pelo pela
    e ou que com sem para pra pro por sobre
    eu me mim meu minha meus minhas nosso nossa nossos nossas seu sua seus suas
    esse essa este esta isto isso aqui ai la
    estao estava estavam estou ta tao ficou foi sao ser estar tem temos tenho
    quero queria gostaria preciso precisava precisando desejo gostava poderia pode
    falar fala dizer saber ver tratar resolver ligar ligando
    sim nao bom boa dia tarde noite ola oi alo hum ah eh entao tipo
    favor obrigado obrigada
    assunto problema questao duvida
    opcao numero tecla digito
"""
FILLERS: frozenset[str] = frozenset(_FILLER_WORDS.split())

# Words that may surround a key said on its own: "opção dois", "a tecla 2".
_KEY_WORD_TEXT = "a o e opcao numero tecla digito quero apertar aperto digitar teclar"
_KEY_WORDS: frozenset[str] = frozenset(_KEY_WORD_TEXT.split())

SPOKEN_KEYS: Mapping[str, str] = {
    "zero": "0",
    "um": "1",
    "uma": "1",
    "dois": "2",
    "duas": "2",
    "tres": "3",
    "quatro": "4",
    "cinco": "5",
    "seis": "6",
    "meia": "6",
    "sete": "7",
    "oito": "8",
    "nove": "9",
    "asterisco": "*",
    "estrela": "*",
    "sustenido": "#",
    "cerquilha": "#",
    "jogo da velha": "#",
    "hashtag": "#",
}
"""Keys as they are spoken (normalized), for "dois" and "digite dois" alike."""

_STEMMER = snowballstemmer.stemmer("portuguese")


def normalize(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: 'Não!' -> 'nao'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(kept.split())


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


Term = tuple[str, str]
"""A meaningful word: (its stem, the word itself), both normalized."""


def terms(text: str) -> tuple[Term, ...]:
    """The words that carry meaning in ``text``, in order: fillers dropped."""
    return tuple((_stem(word), word) for word in normalize(text).split() if word not in FILLERS)


def spoken_key(text: str) -> str | None:
    """The key said on its own ("dois", "2", "opção dois", "jogo da velha"), if that is all."""
    words = [w for w in normalize(text).split() if w not in _KEY_WORDS]
    said = " ".join(words)
    if len(said) == 1 and (said.isdigit() or said in "*#"):
        return said
    return SPOKEN_KEYS.get(said)


@dataclass(frozen=True, slots=True)
class SpeechMatcher:
    """One menu's vocabulary, ready to match: ``(stems, key)`` per phrase."""

    phrases: tuple[tuple[tuple[Term, ...], str], ...]
    keys: frozenset[str]

    @classmethod
    def build(cls, vocabulary: Mapping[str, Iterable[str]], keys: Iterable[str]) -> SpeechMatcher:
        """``vocabulary``: key -> the phrases that choose it; ``keys``: every key a
        caller may say by its name ("dois")."""
        phrases = tuple(
            (stems, key)
            for key, said in vocabulary.items()
            for phrase in said
            if (stems := terms(phrase))
        )
        return cls(phrases=phrases, keys=frozenset(keys))

    def match(self, heard: str) -> str | None:
        """The key of the option the caller asked for, or None (nothing or ambiguous)."""
        key = spoken_key(heard)
        if key is not None:
            return key if key in self.keys else None
        said = terms(heard)
        if not said:
            return None
        best: tuple[int, float] = (0, 0.0)
        chosen: set[str] = set()
        for phrase, key in self.phrases:
            score = _phrase_score(phrase, said)
            if score is None:
                continue
            rank = (len(phrase), score)
            if rank > best:
                best, chosen = rank, {key}
            elif rank == best:
                chosen.add(key)
        return chosen.pop() if len(chosen) == 1 else None


def _phrase_score(phrase: tuple[Term, ...], said: tuple[Term, ...]) -> float | None:
    """Mean closeness of each word of ``phrase`` to its best match in ``said``.

    Stems meet across endings ("cancelar"/"cancelamento"), whole words across
    a recogniser's slips ("faturamentu"); None when a word is missing.
    """
    total = 0.0
    for stem, word in phrase:
        best = max(max(fuzz.ratio(stem, s), fuzz.ratio(word, w)) for s, w in said)
        if best < THRESHOLD:
            return None
        total += best
    return total / len(phrase)


def shared_words(vocabulary: Mapping[str, Iterable[str]]) -> list[tuple[str, list[str]]]:
    """Words (as first written) whose stem is in the phrases of more than one key."""
    keys_of: dict[str, list[str]] = {}
    written: dict[str, str] = {}
    for key, said in vocabulary.items():
        for phrase in said:
            for raw in phrase.split():
                for word in normalize(raw).split():
                    if word in FILLERS:
                        continue
                    stem = _stem(word)
                    written.setdefault(stem, raw.strip(".,;:!?").casefold())
                    owners = keys_of.setdefault(stem, [])
                    if key not in owners:
                        owners.append(key)
    return [(written[stem], keys) for stem, keys in keys_of.items() if len(keys) > 1]
