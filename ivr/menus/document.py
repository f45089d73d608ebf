"""The menu document: its YAML schema, and ``Menu``, the validated result.

``ivr.menus.loader.load_menu`` turns YAML text into a ``Menu``; this module
holds the top-level model and the ready-to-run ``Menu``. The node models live
in ``ivr.menus.nodes``, one module per kind.

Schema
======

Top level (a mapping)::

    start: NODE_ID            # required: the node a call enters first
    voice: Polly.Camila       # optional: TTS voice for <Say> (the web layer uses it)
    language: pt-BR           # optional, default pt-BR (Say and speech recognition)
    lines:                    # optional: product lines, id -> line
      LINE_ID:
        name: TEXT            # required: spoken pt-BR name, read by {linha}
        queue: QUEUE          # required: Twilio queue of its agents (1-64 chars)
        schedule: SCHED_ID    # optional: a key of `schedules`
        callbacks:            # optional: how the line takes callbacks (defaults shown)
          slot_minutes: 30    # slot length (5-240)
          per_slot: 4         # callbacks booked into one slot at most
          max_attempts: 3     # calls before the callback fails and becomes a ticket
          retry_minutes: 30   # wait before calling again (inside business hours)
          max_simultaneous: 2 # callbacks of the line ringing at once
        wait:                 # optional: what callers waiting in the queue hear
          announce_every: 45  # seconds between "Você é o terceiro da fila…" (0-600; 0: none)
          music: URL          # optional audio (http/https) played between announcements
                              # (once per round); without it, silence for announce_every seconds
        survey: NODE_ID       # optional: a `survey` node the caller hears after talking to
                              # an agent of this line (not after a queue left unanswered)
    schedules: {...}          # optional: schedule name -> schedule (see hours.schedules_section);
                              # parsed by the calendar into Menu.schedules
    nodes:                    # required: node id -> node
      NODE_ID: {kind: ..., ...}

Ids (nodes, lines, schedules) are letters, digits, ``_`` and ``-``, at most
64 characters: they travel in signed URLs. ``current`` is reserved (not a
line id). Quote DTMF keys: ``#`` starts a YAML comment and ``1:`` is a number
(unquoted digit keys are accepted with a warning).

Node kinds (``kind`` is required; every other field not listed is an error):

``menu`` — prompt, then a choice by key or voice
    ``say`` (text) or ``play`` (audio URL), exactly one;
    ``options``: DTMF key ("0"-"9", "*", "#") -> ``{next: NODE, line: LINE
    (optional, becomes the call's line), speech: [pt-BR phrases] (optional)}``;
    ``timeout`` seconds of silence (1-60, default 5); ``retries`` attempts in
    all (1-5, default 3); ``invalid`` / ``no_input`` messages (pt-BR defaults);
    ``after_retries``: NODE, required — where the call goes after the last
    failed attempt (an agent or the voicemail); ``intro`` (optional) said on
    entering the menu but not on re-prompts ("Você escolheu {linha}.");
    ``back``: NODE (optional), where ``back_key`` (default ``*``) leads, the
    menu before; ``repeat_key`` (default ``"9"``, ``null`` for none) plays
    the options again without using up an attempt. Both also work by voice
    ("repetir", "voltar") and are announced once per call, on the first menu
    that offers them; an option on the same key takes precedence. Speech matching
    (``ivr.menus.speech``) ignores case, accents, punctuation, filler words,
    plurals and word endings, forgives small slips of the recogniser, and
    takes a key said by name ("dois", "2"); a phrase matches when its words
    are said inside a longer sentence; the phrase with most words wins, and
    a tie between two options is no match. A word in the phrases of two
    options of one menu is a lint warning.
``message`` — ``say`` or ``play``, then ``next``.
``transfer`` — exactly one of ``number`` (E.164), ``sip`` (``sip:`` URI),
    ``queue`` (queue name), ``line`` (a line id: its queue; or ``current``:
    the line chosen so far; callers without a line go to ``queue`` if given,
    else straight to ``fallback``: one of the two is required); optional
    ``say`` before connecting; ``timeout`` ring seconds for
    number/sip (5-120, default 30); optional ``fallback``: NODE when nobody
    answers or the caller leaves the queue (without it: a pt-BR apology, then
    hang up); optional ``closing``: NODE for callers still waiting in the
    queue when the line is about to close (default: ``fallback``); optional
    ``callback``: a ``callback`` node for callers who press 1 while waiting
    (called back as soon as an agent is likely free, their place kept).
``voicemail`` — ``say`` instructions (pt-BR default), ``max_length`` seconds
    (5-600, default 120), optional ``next`` after the recording (default:
    thank the caller and hang up). Records after a beep. When nothing is
    recorded the caller is told so and gets one more try; after a second
    empty try, optional ``empty`` (default: a goodbye, outcome ``no_message``).
``hours`` — optional ``schedule`` (a key of ``schedules``; default: the
    chosen line's schedule, else the calendar's default), ``open`` and
    ``closed`` targets.
``goto`` — ``next``.
``hangup`` — optional ``say``, then hang up.
``ticket_status`` — ``say`` (pt-BR default), ``timeout`` (3-60, default
    10), ``retries`` (1-5, default 3), ``after_retries``: NODE (required; 0
    and ``#`` go there too), optional ``next``. The caller keys a protocol
    and hears how the ticket stands.
``callback`` — ``line``: LINE (required; the line booked when the caller
    has chosen none), optional ``say`` said first, ``retries`` (1-5,
    default 3) tries at each question, ``timeout`` (3-30, default 8)
    seconds of silence while keying a number, ``after_retries``: NODE
    (required: no usable number, no free slot; a voicemail), optional
    ``next`` after the booking (default: a goodbye). Offers the caller's
    own number or takes one on the keypad (``ivr.menus.nodes.callback``).
``survey`` — the satisfaction survey a line names in ``survey``: ``say``
    the question (a rating from 1 to 5, by key or voice; pt-BR default),
    ``invalid`` / ``no_input`` then ``again`` (the question asked again),
    ``retries`` (1-5, default 2), ``timeout``
    (default 6); optional ``comment`` (the invitation to comment; without it
    none is asked) and ``comment_by`` (``speech``, the default, or
    ``record``, at most ``comment_max_length`` seconds, default 60);
    ``thanks`` before hanging up. See ``ivr.menus.nodes.survey``.

Prompts (``say``, ``invalid``, ``no_input``) may use ``{linha}`` (spoken name
of the chosen line, "" if none), ``{numero}`` (the caller's number read digit
by digit) and ``{aviso_horario}`` (the calendar's "closed, we reopen at …"
sentence); ``{{`` and ``}}`` are literal braces. Empty prompts and other
variables are errors.

Graph rules (``ivr.menus.lint``): every target and line exists; every node
is reachable from ``start``; from every node a transfer, voicemail or
hangup is reachable; no loop is taken without the caller choosing (through
``next``, ``open``/``closed``, ``after_retries``, ``fallback``), so a silent
caller always reaches an end; every menu has an option leading to a transfer,
and a transfer is reachable from ``start``.

Example
=======

.. code-block:: yaml

    start: boas_vindas
    voice: Polly.Camila
    lines:
      fiscal: {name: Fiscal, queue: suporte_fiscal, schedule: comercial}
      estoque: {name: Estoque, queue: suporte_estoque, schedule: comercial}
    schedules:
      comercial: {}          # the calendar engineer defines this
    nodes:
      boas_vindas:
        kind: message
        say: Bem-vindo ao suporte. Esta ligação pode ser gravada.
        next: expediente
      expediente:
        kind: hours
        schedule: comercial
        open: principal
        closed: fora_do_horario
      principal:
        kind: menu
        say: >-
          Para o módulo fiscal, digite 1. Para estoque, digite 2.
          Para falar com um atendente, digite 0.
        options:
          "1": {next: atendimento, line: fiscal, speech: [fiscal, nota fiscal]}
          "2": {next: atendimento, line: estoque, speech: [estoque]}
          "0": {next: atendente, speech: [atendente]}
        after_retries: atendente
      atendimento:
        kind: transfer
        say: Transferindo para o suporte {linha}.
        line: current
        queue: suporte_geral
        fallback: recado
      atendente:
        kind: transfer
        queue: suporte_geral
        fallback: recado
      fora_do_horario:
        kind: message
        say: "{aviso_horario}"
        next: recado
      recado:
        kind: voicemail
        say: Deixe seu nome, empresa e o motivo da ligação após o sinal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from callbacks.policy import CallbackPolicy
from hours.calendar import EmergencySource
from hours.oracle import Hours
from hours.schedule import Schedule
from ivr.menus.nodes import BY_MODEL, NodeKind, NodeModel
from ivr.menus.nodes.base import Ident
from ivr.menus.nodes.transfer import ANNOUNCE_EVERY, QueueName


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("não pode ficar vazio")
    return value


Text = Annotated[str, AfterValidator(_check_text)]


class LineCallbacks(BaseModel):
    """How a line takes callbacks (``callbacks.policy.CallbackPolicy``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot_minutes: Annotated[int, Field(ge=5, le=240)] = 30
    per_slot: Annotated[int, Field(ge=1, le=1000)] = 4
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    retry_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    max_simultaneous: Annotated[int, Field(ge=1, le=1000)] = 2

    def policy(self) -> CallbackPolicy:
        return CallbackPolicy(**self.model_dump())


class LineWait(BaseModel):
    """What a caller waiting in the line's queue hears (``ivr.telephony.queue_wait``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    announce_every: Annotated[int, Field(ge=0, le=600)] = ANNOUNCE_EVERY  # 0: none
    music: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=500)] | None = None


class ProductLine(BaseModel):
    """A product line callers can pick: its spoken name, queue and schedule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    queue: QueueName
    schedule: Ident | None = None
    callbacks: LineCallbacks = LineCallbacks()
    wait: LineWait = LineWait()
    survey: Ident | None = None  # a survey node: asked after a conversation with an agent


class DocumentHead(BaseModel):
    """The top level of a menu document; nodes are validated one by one."""

    model_config = ConfigDict(extra="forbid")

    start: Ident
    voice: Text | None = None
    language: Text = "pt-BR"
    lines: dict[Ident, ProductLine] = {}
    schedules: dict[Ident, Any] = {}
    nodes: dict[Ident, Any]


@dataclass(frozen=True, slots=True)
class Menu:
    """A validated menu document, ready for ``ivr.menus.engine``.

    Immutable and shared between requests (the web layer caches one per
    published version); ``schedules`` is the document's mapping as loaded.
    """

    start: str
    nodes: Mapping[str, NodeModel]
    lines: Mapping[str, ProductLine] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    language: str = "pt-BR"
    voice: str | None = None
    filename: str = "menus.yaml"
    kinds: Mapping[str, NodeKind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds = {node_id: BY_MODEL[type(node)] for node_id, node in self.nodes.items()}
        object.__setattr__(self, "kinds", kinds)

    def hours(self, emergencies: EmergencySource = ()) -> Hours:
        """The calendars calls of this menu hear: its ``schedules:``, else the shipped ones.

        ``emergencies`` is the source of emergency closures (the database's).
        """
        return Hours.or_shipped(self.schedules, emergencies=emergencies)
