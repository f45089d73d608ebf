"""Hypothesis strategies shared by the test suites: the one home for them.

Each domain has its own titled section below; add yours as a new section.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import yaml
from hypothesis import assume
from hypothesis import strategies as st

from hours.schedule import Closure, EmergencyClosure, HolidayRule, Opening, Schedule, Shift
from ivr.menus.actions import CallState
from ivr.menus.context import CallerEvent

# ---------------------------------------------------------------------------
# Menu documents (ivr/menus)
#
# ``menu_documents()`` draws valid documents as Python data, built so every
# graph rule holds by construction: nodes are laid out in a line ending in
# transfers, then voicemail/hangup nodes; every edge taken without a choice
# (next, open/closed, after_retries, fallback) points further down the line,
# so it cannot loop; option edges may point anywhere; every menu has an
# option to a transfer; a menu prompt that names keys names exactly the
# menu's keys (no lint warning); nodes left unreachable are dropped.
# ``valid_menu_texts()`` dumps them as YAML, ``invalid_menu_texts()`` breaks
# them in one known way, ``caller_events()`` is anything a request can carry.
# ---------------------------------------------------------------------------

DTMF_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")

SPEECH_PHRASES = (  # no word in two phrases: that is a lint warning
    "fiscal",
    "nota eletrônica",
    "estoque",
    "expedição",
    "financeiro",
    "boleto",
    "atendente",
    "reclamação",
    "cancelamento",
    "voltar",
    "suporte técnico",
    "contabilidade",
)

PROMPTS = (
    "Escolha uma opção.",
    "Para o suporte, digite 1. Para falar com um atendente, digite 0.",
    "Você está na linha {linha}.",
    "Ligação do número {numero}.",
    "{aviso_horario} Deixe sua mensagem.",
    "Olá! Bem-vindo ao suporte. Use chaves assim: {{isto}}.",
)

LINE_NAMES = ("Fiscal", "Estoque e Expedição", "Financeiro", "PDV")

TARGET_FIELDS = ("next", "after_retries", "fallback", "open", "closed")


def _prompt(draw: st.DrawFn) -> dict[str, str]:
    if draw(st.integers(0, 4)) == 0:
        return {"play": "https://cdn.example.com/audio/menu.mp3"}
    return {"say": draw(st.sampled_from(PROMPTS))}


SPOKEN_KEYS = {"*": "asterisco", "#": "sustenido"}


def _menu_prompt(draw: st.DrawFn, keys: list[str]) -> dict[str, str]:
    """A menu prompt the lint is happy with: audio, no key named, or every key announced."""
    prompt = _prompt(draw)
    if "digite" not in prompt.get("say", ""):
        return prompt
    spoken = (SPOKEN_KEYS.get(key, key) for key in keys)
    return {
        "say": " ".join(f"Para o assunto {n + 1}, digite {key}." for n, key in enumerate(spoken))
    }


def _edges(node: dict[str, Any]) -> list[str]:
    targets = [node[f] for f in TARGET_FIELDS if f in node]
    targets += [option["next"] for option in node.get("options", {}).values()]
    return targets


@st.composite
def menu_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid menu document as Python data."""
    schedules = {"comercial": {"week": {"mon-fri": ["09:00-17:30"]}}} if draw(st.booleans()) else {}
    lines: dict[str, dict[str, Any]] = {}
    for i in range(draw(st.integers(0, 3))):
        line: dict[str, Any] = {"name": LINE_NAMES[i], "queue": f"suporte-{i}"}
        if schedules and draw(st.booleans()):
            line["schedule"] = "comercial"
        lines[f"linha{i}"] = line

    prefix = draw(st.sampled_from([(), ("message",), ("hours",), ("message", "hours"), ("goto",)]))
    inner = draw(st.lists(st.sampled_from(["menu", "message", "goto", "hours"]), max_size=5))
    transfer_kinds = ["queue", "number", "sip", "current", *(["line"] if lines else [])]
    transfers = draw(st.lists(st.sampled_from(transfer_kinds), min_size=1, max_size=3))
    enders = draw(st.lists(st.sampled_from(["voicemail", "hangup"]), max_size=2))

    kinds = [*prefix, "menu", *inner, *(f"transfer:{t}" for t in transfers), *enders]
    ids = [f"{kind.split(':')[0]}_{i}" for i, kind in enumerate(kinds)]
    first_menu = len(prefix)
    transfer_ids = [i for i, kind in zip(ids, kinds, strict=True) if kind.startswith("transfer")]

    def later(i: int) -> str:
        return draw(st.sampled_from(ids[i + 1 :]))

    nodes: dict[str, dict[str, Any]] = {}
    for i, (node_id, kind) in enumerate(zip(ids, kinds, strict=True)):
        # The prefix leads on to the first menu so a person is reachable from start.
        main = ids[first_menu] if i < first_menu else None
        if kind == "menu":
            keys = draw(st.lists(st.sampled_from(DTMF_KEYS), min_size=1, max_size=4, unique=True))
            phrases = list(draw(st.permutations(SPEECH_PHRASES)))
            options: dict[str, dict[str, Any]] = {}
            for n, key in enumerate(keys):
                target = draw(st.sampled_from(transfer_ids if n == 0 else ids))
                option: dict[str, Any] = {"next": target}
                if lines and draw(st.booleans()):
                    option["line"] = draw(st.sampled_from(sorted(lines)))
                if draw(st.booleans()):
                    option["speech"] = phrases[2 * n : 2 * n + draw(st.integers(1, 2))]
                options[key] = option
            node: dict[str, Any] = {"kind": "menu", **_menu_prompt(draw, keys), "options": options}
            node["after_retries"] = later(i)
            if draw(st.booleans()):
                node["retries"] = draw(st.integers(1, 5))
            if draw(st.booleans()):
                node["timeout"] = draw(st.integers(1, 10))
            if draw(st.integers(0, 3)) == 0:
                node["invalid"] = "Opção inválida, {linha}."
        elif kind == "message":
            node = {"kind": "message", **_prompt(draw), "next": main or later(i)}
        elif kind == "goto":
            node = {"kind": "goto", "next": main or later(i)}
        elif kind == "hours":
            node = {"kind": "hours", "open": main or later(i), "closed": later(i)}
            if schedules and draw(st.booleans()):
                node["schedule"] = "comercial"
        elif kind.startswith("transfer"):
            how = kind.split(":")[1]
            node = {"kind": "transfer"}
            if how == "queue":
                node["queue"] = "suporte-geral"
            elif how == "number":
                node["number"] = "+551130001000"
            elif how == "sip":
                node["sip"] = "sip:suporte@pbx.example.com"
            elif how == "line":
                node["line"] = draw(st.sampled_from(sorted(lines)))
            else:
                node["line"] = "current"
                node["queue"] = "suporte-geral"
            if draw(st.booleans()):
                node["say"] = draw(st.sampled_from(PROMPTS))
            if i + 1 < len(ids) and draw(st.booleans()):
                node["fallback"] = later(i)
        elif kind == "voicemail":
            node = {"kind": "voicemail"}
            if draw(st.booleans()):
                node["say"] = draw(st.sampled_from(PROMPTS))
            if i + 1 < len(ids) and draw(st.booleans()):
                node["next"] = later(i)
        else:
            node = {"kind": "hangup"}
            if draw(st.booleans()):
                node["say"] = "Obrigado por ligar. Até logo!"
        nodes[node_id] = node

    reached: set[str] = set()
    queue = deque([ids[0]])
    while queue:
        node_id = queue.popleft()
        if node_id not in reached:
            reached.add(node_id)
            queue.extend(_edges(nodes[node_id]))
    document: dict[str, Any] = {"start": ids[0]}
    if draw(st.booleans()):
        document["voice"] = "Polly.Camila"
    document["lines"] = lines
    if schedules:
        document["schedules"] = schedules
    document["nodes"] = {node_id: node for node_id, node in nodes.items() if node_id in reached}
    return document


def menu_yaml(document: dict[str, Any], *, flow_leaves: bool = False) -> str:
    """YAML text of a document (DTMF keys come out quoted)."""
    return yaml.safe_dump(
        document,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None if flow_leaves else False,
    )


@st.composite
def valid_menu_texts(draw: st.DrawFn) -> str:
    """A valid menu document as YAML text."""
    return menu_yaml(draw(menu_documents()), flow_leaves=draw(st.booleans()))


MUTATIONS = (
    "dangling target",
    "unknown field",
    "unreachable node",
    "no transfer",
    "unknown kind",
    "missing field",
    "empty prompt",
    "unknown variable",
    "invalid key",
    "unknown line",
    "silent loop",
    "unknown start",
    "duplicate key",
    "duplicate node",
    "broken yaml",
    "empty file",
    "not a mapping",
)


@st.composite
def invalid_menu_texts(draw: st.DrawFn) -> tuple[str, str]:
    """``(mutation, yaml_text)``: a valid document broken in one known way."""
    document = draw(menu_documents())
    nodes = document["nodes"]
    menu_id = next(node_id for node_id, node in nodes.items() if node["kind"] == "menu")
    menu = nodes[menu_id]
    mutation = draw(st.sampled_from(MUTATIONS))
    if mutation == "dangling target":
        places = [
            (node, field) for node in nodes.values() for field in TARGET_FIELDS if field in node
        ] + [(option, "next") for option in menu["options"].values()]
        node, field = draw(st.sampled_from(places))
        node[field] = "nao_existe"
    elif mutation == "unknown field":
        nodes[draw(st.sampled_from(sorted(nodes)))]["campo_extra"] = 1
    elif mutation == "unreachable node":
        nodes["orfao"] = {"kind": "hangup", "say": "Ninguém chega aqui."}
    elif mutation == "no transfer":
        for node_id, node in nodes.items():
            if node["kind"] == "transfer":
                nodes[node_id] = {"kind": "hangup"}
    elif mutation == "unknown kind":
        nodes[draw(st.sampled_from(sorted(nodes)))]["kind"] = "pesquisa"
    elif mutation == "missing field":
        del menu["after_retries"]
    elif mutation in ("empty prompt", "unknown variable"):
        menu.pop("play", None)
        menu["say"] = "   " if mutation == "empty prompt" else "Olá, {cliente}."
    elif mutation == "invalid key":
        menu["options"]["A"] = {"next": menu_id}
    elif mutation == "unknown line":
        next(iter(menu["options"].values()))["line"] = "linha_inexistente"
    elif mutation == "silent loop":
        menu["after_retries"] = menu_id
    elif mutation == "unknown start":
        document["start"] = "nao_existe"
    text = menu_yaml(document, flow_leaves=draw(st.booleans()))
    if mutation == "duplicate key":
        text += f"start: {document['start']}\n"
    elif mutation == "duplicate node":
        text += f"  {menu_id}:\n    kind: hangup\n"
    elif mutation == "broken yaml":
        text += "extra: [sem fim\n"
    elif mutation == "empty file":
        text = draw(st.sampled_from(["", "\n", "# só um comentário\n"]))
    elif mutation == "not a mapping":
        text = "- inicio\n- fim\n"
    return mutation, text


@st.composite
def garbled_menu_texts(draw: st.DrawFn) -> str:
    """A valid document's text with a random cut and a random insertion: anything goes."""
    text = draw(valid_menu_texts())
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 30)))
    insert = draw(st.sampled_from(["", "x", ":", "- ", "\n  ", "{", "&a ", "*a", "\t", "'", "1"]))
    return text[:start] + insert + text[end:]


DIAL_RESULTS = (
    "completed",
    "answered",
    "busy",
    "no-answer",
    "failed",
    "canceled",
    "bridged",
    "bridging-in-process",
    "queue-full",
    "hangup",
    "leave",
    "redirected",
    "error",
    "system-error",
)


def caller_events() -> st.SearchStrategy[CallerEvent]:
    """Anything a request may carry, whatever the engine was waiting for."""
    return st.one_of(
        st.just(CallerEvent()),
        st.sampled_from([*DTMF_KEYS, "12", ""]).map(lambda d: CallerEvent(digits=d)),
        st.sampled_from(
            [
                *SPEECH_PHRASES,
                "quero falar com um atendente, por favor",
                "não sei",
                "",
                "NOTA FISCAL!",
            ]
        ).map(lambda s: CallerEvent(speech=s)),
        st.sampled_from(DIAL_RESULTS).map(lambda s: CallerEvent(dial_status=s)),
        st.builds(
            CallerEvent,
            recording_url=st.sampled_from([None, "https://api.twilio.com/Recordings/RE0001"]),
            recording_duration=st.one_of(st.none(), st.integers(0, 600)),
        ),
    )


def silence(state: CallState) -> CallerEvent:
    """What comes back when the caller does nothing (and nobody answers)."""
    if state.expect in ("dial", "enqueue"):
        return CallerEvent(dial_status="no-answer")
    return CallerEvent()


# ---------------------------------------------------------------------------
# The business calendar
#
# Every boundary these produce falls on a whole UTC minute (shifts on a
# 15-minute local grid, closures and emergencies on whole minutes, zones with
# whole-minute offsets), so the open/closed state is constant within each
# minute: checking each minute's first instant checks every instant.

ZONES = (
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Noronha",
    "UTC",
    "Asia/Kolkata",  # +05:30
    "America/New_York",  # DST
    "Europe/Lisbon",  # DST
)
HOLIDAY_RULES = (
    None,
    HolidayRule("BR"),
    HolidayRule("BR", "SP"),
    HolidayRule("BR", "SP", ("public", "optional")),
)
FIRST = datetime(2025, 12, 1, tzinfo=UTC)
LAST = datetime(2028, 1, 31, tzinfo=UTC)


@st.composite
def day_shifts(draw: st.DrawFn, max_shifts: int = 3) -> tuple[Shift, ...]:
    """0 to ``max_shifts`` non-overlapping shifts on a 15-minute grid (24:00 included)."""
    points = sorted(draw(st.lists(st.integers(0, 96), unique=True, max_size=2 * max_shifts)))
    pairs = zip(points[::2], points[1::2], strict=False)
    return tuple(Shift(a * 900, b * 900) for a, b in pairs)


weeks = st.tuples(*[day_shifts() for _ in range(7)])

instants = st.datetimes(
    min_value=FIRST.replace(tzinfo=None),
    max_value=LAST.replace(tzinfo=None),
    timezones=st.sampled_from([UTC, *(ZoneInfo(z) for z in ZONES)]),
)


def minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Scenario:
    schedule: Schedule
    emergencies: tuple[EmergencyClosure, ...]
    at: datetime  # an instant near which the closures and emergencies fall


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A random schedule, with closures, openings and emergencies around a random instant."""
    at = draw(instants)
    # An instant, not a wall time: a time in a DST gap compares unequal to everything
    # in other zones (PEP 495), so round-trip it into a real local time of its zone.
    at = at.astimezone(UTC).astimezone(at.tzinfo)
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    base = minute(at.astimezone(UTC))
    offsets = st.integers(-3 * 1440, 12 * 1440).map(lambda m: base + timedelta(minutes=m))
    lengths = st.integers(1, 10 * 1440).map(lambda m: timedelta(minutes=m))

    closures = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):  # whole local days
            first = (base.astimezone(tz) + timedelta(days=draw(st.integers(-3, 12)))).date()
            days = draw(st.integers(1, 10))
            start = datetime.combine(first, datetime.min.time(), tz)
            end = datetime.combine(first + timedelta(days=days), datetime.min.time(), tz)
            closures.append(Closure(start, end, f"Fechado {len(closures)}"))
        else:
            start = draw(offsets)
            closures.append(Closure(start, start + draw(lengths), f"Parcial {len(closures)}"))

    opening_days = draw(
        st.lists(st.integers(-3, 12), unique=True, max_size=2).map(
            lambda ds: [(base.astimezone(tz) + timedelta(days=d)).date() for d in ds]
        )
    )
    openings = tuple(Opening(d, draw(day_shifts(2)), "Especial") for d in opening_days)

    emergencies = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(offsets)
        end = None if draw(st.integers(0, 5)) == 0 else start + draw(lengths)
        emergencies.append(EmergencyClosure(start, end, "Emergência"))

    schedule = Schedule(
        name="aleatorio",
        week=draw(weeks),
        timezone=tz.key,
        holidays=draw(st.sampled_from(HOLIDAY_RULES)),
        closures=tuple(closures),
        openings=openings,
    )
    return Scenario(schedule, tuple(emergencies), at)


# ---------------------------------------------------------------------------
# Callback numbers (callbacks/numbers.py)
#
# ``brazilian_numbers()`` draws ordinary fixed and mobile numbers (area code,
# subscriber digits) that phonenumbers accepts, ``typed_forms()`` writes one
# the ways people type it; the other strategies draw what must be refused.

AREA_CODES = (
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "22", "24", "27", "28",
    "31", "32", "33", "34", "35", "37", "38", "41", "42", "43", "44", "45", "46", "47",
    "48", "49", "51", "53", "54", "55", "61", "62", "63", "64", "65", "66", "67", "68",
    "69", "71", "73", "74", "75", "77", "79", "81", "82", "83", "84", "85", "86", "87",
    "88", "89", "91", "92", "93", "94", "95", "96", "97", "98", "99",
)  # fmt: skip
CARRIER_CODES = ("12", "14", "15", "21", "23", "31", "41", "43")


@dataclass(frozen=True)
class BrazilianNumber:
    area: str
    subscriber: str  # 8 digits (fixed) or 9 (mobile)

    @property
    def e164(self) -> str:
        return f"+55{self.area}{self.subscriber}"

    @property
    def mobile(self) -> bool:
        return len(self.subscriber) == 9


@st.composite
def brazilian_numbers(draw: st.DrawFn) -> BrazilianNumber:
    area = draw(st.sampled_from(AREA_CODES))
    if draw(st.booleans()):
        subscriber = (
            "9"
            + draw(st.text("6789", min_size=1, max_size=1))
            + draw(st.text("0123456789", min_size=7, max_size=7))
        )
    else:
        subscriber = draw(st.sampled_from("2345")) + draw(
            st.text("0123456789", min_size=7, max_size=7)
        )
    number = BrazilianNumber(area, subscriber)
    parsed = phonenumbers.parse(number.e164, None)
    expected = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE}
    assume(phonenumbers.number_type(parsed) in expected)
    return number


@st.composite
def typed_forms(draw: st.DrawFn, number: BrazilianNumber) -> str:
    """``number`` as someone types it: with or without 0, a carrier code, +55, punctuation."""
    prefix = draw(
        st.sampled_from(["", "0", "+55", "+55 "])
        | st.sampled_from(CARRIER_CODES).map(lambda c: f"0{c}")
    )
    sub = number.subscriber
    punctuated = draw(st.booleans())
    body = f"({number.area}) {sub[:-4]}-{sub[-4:]}" if punctuated else number.area + sub
    return prefix + body


premium_numbers = st.tuples(
    st.sampled_from(["0300", "0500", "0800", "0900"]),
    st.text("0123456789", min_size=7, max_size=7),
    st.sampled_from(["", " ", "-"]),
).map(lambda t: f"{t[0]}{t[2]}{t[1][:3]}{t[2]}{t[1][3:]}")

short_numbers = st.text("0123456789", min_size=1, max_size=6)

keypad_digits = st.text("0123456789*#", max_size=20)


# ---------------------------------------------------------------------------
# Protocol numbers (tickets_bridge/protocol.py)
#
# ``protocols()`` draws valid protocols: a São Paulo date, a day's counter
# and the Verhoeff check digit.
# ---------------------------------------------------------------------------


@st.composite
def protocols(draw: st.DrawFn) -> str:
    from tickets_bridge.protocol import with_check_digit

    day = draw(
        st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2099, 12, 31).date())
    )
    counter = draw(st.integers(1, 99_999))
    return with_check_digit(f"{day:%y%m%d}{counter:05d}")


# ---------------------------------------------------------------------------
# What callers say (ivr/menus/speech)
#
# ``said_around(phrase)`` wraps a phrase the way people say it: filler words
# before and after, any letter case, sometimes without its accents.

SPEECH_FILLERS = ("meu", "a", "o", "quero", "está", "por favor", "é", "preciso", "sobre")


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@st.composite
def said_around(draw: st.DrawFn, phrase: str) -> str:
    before = draw(st.lists(st.sampled_from(SPEECH_FILLERS), max_size=3))
    after = draw(st.lists(st.sampled_from(SPEECH_FILLERS), max_size=2))
    text = " ".join([*before, phrase, *after])
    if draw(st.booleans()):
        text = _unaccented(text)
    case = draw(st.sampled_from([str, str.upper, str.capitalize]))
    return case(text) + draw(st.sampled_from(["", ".", "!", "?"]))
