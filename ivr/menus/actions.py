"""What the engine asks the telephone to do, independent of TwiML.

The engine returns a tuple of these; ``ivr.telephony.twiml`` is the only module that
turns them into Twilio's XML. Every action that hands control back to us
carries the ``CallState`` of the step that will receive the reply, and the
web layer encodes it into the (signed) URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

DATA_LENGTH = 24

# What the next request will carry, so the engine knows how to read it.
Expect = Literal["input", "dial", "record", "enqueue"]


@dataclass(frozen=True, slots=True)
class CallState:
    """Everything the engine needs between two webhooks of one call.

    It travels in the action URLs Twilio calls back, which Twilio signs, so
    no database read is needed to serve the next step.
    """

    version: int  # menu version the call is pinned to
    node: str  # node that will interpret the next request
    attempt: int = 1  # retry counter of a menu node, 1-based
    line: str | None = None  # product line chosen so far
    # Request counter within the call: the call log's idempotency key. Not
    # part of equality: two states at the same place of a menu are the same
    # state, which lets the renderer reuse the TwiML it made for one.
    step: int = field(default=0, compare=False)
    expect: Expect = "input"
    # Navigation keys already announced in this call (bit flags of
    # ``ivr.menus.nodes.menu``): each is announced once per call.
    told: int = 0
    # A node's own short state between its requests (letters and digits, at
    # most ``DATA_LENGTH``): the callback node's phase and the number typed. The
    # step URL carries it sealed (``ivr.telephony.state_url``), never in clear.
    data: str = ""

    def next(self, node: str, **changes: object) -> CallState:
        """The state for a following request, one step further."""
        return replace(self, node=node, step=self.step + 1, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Say:
    text: str


@dataclass(frozen=True, slots=True)
class Play:
    url: str


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: int = 1


@dataclass(frozen=True, slots=True)
class Gather:
    """Play prompts while listening for keys and, optionally, speech."""

    prompts: tuple[Say | Play | Pause, ...]
    then: CallState
    timeout: int = 5
    num_digits: int | None = 1
    speech_hints: tuple[str, ...] | None = None  # None: keys only
    finish_on_key: str = ""


@dataclass(frozen=True, slots=True)
class Dial:
    """Connect the caller to a phone number or a SIP address."""

    then: CallState
    number: str | None = None  # E.164
    sip: str | None = None
    timeout: int = 30


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Put the caller in a named agents' queue."""

    queue: str
    then: CallState
    # While waiting: position and estimated wait every ``announce_every``
    # seconds (0: Twilio's own hold music, no announcements), with ``music``
    # (an audio URL, played once per round) instead of silence between.
    announce_every: int = 0
    music: str | None = None
    closes_at: int | None = None  # the line's closing time (Unix seconds): callers leave before
    offer_callback: bool = False  # "digite 1 para receber o retorno sem perder a sua vez"


@dataclass(frozen=True, slots=True)
class Record:
    then: CallState
    max_length: int = 120
    play_beep: bool = True
    finish_on_key: str = "#"


@dataclass(frozen=True, slots=True)
class Redirect:
    then: CallState


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


Action = Say | Play | Pause | Gather | Dial | Enqueue | Record | Redirect | Hangup


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a call ended, as the call log reports it."""

    kind: Literal[
        "transferred", "voicemail", "callback", "no_message", "hung_up", "timed_out", "error"
    ]
    detail: str = ""  # transfer target, the node where it ended, …


@dataclass(frozen=True, slots=True)
class Recording:
    """A voicemail message Twilio recorded: where it is, and how long (seconds)."""

    url: str
    duration: int | None = None


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """One answer of the satisfaction survey: a rating (1-5) or a comment, spoken or recorded."""

    rating: int | None = None
    comment: str | None = None  # what the recogniser heard
    recording_url: str | None = None  # a recorded comment


@dataclass(frozen=True, slots=True)
class Step:
    """The engine's answer to one request."""

    actions: tuple[Action, ...]
    path: tuple[str, ...] = ()  # nodes entered while computing this step
    outcome: Outcome | None = None  # set when this step ends the call
    line: str | None = None  # product line after this step
    # What the request reported, for the call log (not part of the answer):
    recording: Recording | None = field(default=None, compare=False)  # a message was left
    # What the caller hears is theirs alone (their number, a protocol): rendering it
    # once for one caller must not push the shared answers out of the renderer's cache.
    personal: bool = field(default=False, compare=False)
    dial_status: str | None = field(default=None, compare=False)  # a transfer's DialCallStatus
    survey: SurveyAnswer | None = field(default=None, compare=False)  # the caller answered it
    # The keys of this request were a phone number (the callback step's): the call
    # log keeps them masked, since the callback itself keeps the number.
    keys_are_number: bool = field(default=False, compare=False)
