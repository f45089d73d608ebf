"""The scratchpad of one engine step, shared by the node behaviours.

A ``Turn`` collects the actions, the nodes entered and the outcome while the
engine walks from node to node; ``finish`` freezes it into a ``Step``. It is
the only mutable object of a step and never outlives it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr.menus.actions import (
    Action,
    CallState,
    Dial,
    Enqueue,
    Expect,
    Hangup,
    Outcome,
    Play,
    Record,
    Recording,
    Redirect,
    Say,
    Step,
    SurveyAnswer,
)
from ivr.menus.context import CallContext
from ivr.menus.prompts import Prompt, spoken_number

if TYPE_CHECKING:
    from ivr.menus.document import Menu

# What the caller hears when the engine itself cannot go on.
APOLOGY = (
    "Desculpe, tivemos um problema técnico e não conseguimos continuar o atendimento. "
    "Por favor, ligue novamente em alguns minutos."
)

# Actions after which Twilio comes back to us, or the call is over.
_CLOSING = (Redirect, Dial, Enqueue, Record, Hangup)


class Turn:
    """Actions, path and outcome of the step being computed."""

    __slots__ = (
        "actions",
        "booked",
        "ctx",
        "dial_status",
        "keys_are_number",
        "line",
        "menu",
        "nothing_recorded",
        "outcome",
        "path",
        "personal",
        "queue_callback",
        "recorded",
        "recording",
        "schedule",
        "step",
        "survey",
        "timed_out_at",
        "told",
        "version",
    )

    def __init__(
        self,
        menu: Menu,
        ctx: CallContext,
        *,
        version: int,
        step: int,
        line: str | None,
        told: int = 0,
    ) -> None:
        self.menu = menu
        self.ctx = ctx
        self.version = version
        self.step = step + 1  # request counter of every state emitted by this step
        self.line = line
        self.told = told  # navigation keys announced so far (CallState.told)
        self.actions: list[Action] = []
        self.path: list[str] = []
        self.outcome: Outcome | None = None
        self.recording: Recording | None = None  # the voicemail left during this step
        self.dial_status: str | None = None  # how the transfer being resumed ended
        self.survey: SurveyAnswer | None = None  # the survey answer this step received
        self.schedule: str | None = None  # set by an hours node for {aviso_horario}
        self.timed_out_at: str | None = None  # menu the caller left in silence
        self.recorded = False  # a voicemail was recorded during this step
        self.booked = False  # a callback was booked (or kept) during this step
        self.queue_callback = False  # the caller left a queue for a callback (keeps the place)
        self.personal = False  # said only to this caller: rendered outside the shared cache
        self.keys_are_number = False  # the keys received were a phone number: logged masked
        self.nothing_recorded: str | None = None  # voicemail node that got no message

    # --- states and prompts -------------------------------------------------

    def state(
        self, node: str, *, expect: Expect = "input", attempt: int = 1, data: str = ""
    ) -> CallState:
        """The state a following request will carry back to ``node``."""
        return CallState(
            version=self.version,
            node=node,
            attempt=attempt,
            line=self.line,
            step=self.step,
            expect=expect,
            told=self.told,
            data=data,
        )

    def line_schedule(self) -> str | None:
        """The schedule of the product line chosen so far, if any."""
        line = self.menu.lines.get(self.line) if self.line is not None else None
        return line.schedule if line is not None else None

    def _variable(self, name: str) -> str:
        if name == "linha":
            line = self.menu.lines.get(self.line) if self.line is not None else None
            return line.name if line is not None else ""
        if name == "numero":
            return spoken_number(self.ctx.caller)
        if name == "aviso_horario":
            schedule = self.schedule if self.schedule is not None else self.line_schedule()
            return self.ctx.hours.closed_phrase(schedule, self.ctx.now)
        raise KeyError(name)  # the loader rejects unknown variables

    def render(self, prompt: Prompt) -> str:
        return prompt.render(self._variable)

    def audio(self, say: Prompt | None, play: str | None) -> Say | Play | None:
        """The Say or Play for a node's prompt; None when it renders to nothing."""
        if play is not None:
            return Play(play)
        if say is not None:
            text = self.render(say)
            if text.strip():
                return Say(text)
        return None

    def say(self, prompt: Prompt | str | None) -> None:
        """Speak a prompt (or fixed text) now, skipping what renders empty."""
        if prompt is None:
            return
        text = prompt if isinstance(prompt, str) else self.render(prompt)
        if text.strip():
            self.actions.append(Say(text))

    # --- endings --------------------------------------------------------------

    def hang_up(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.actions.append(Hangup())

    def fail(self, detail: str) -> None:
        """Apologise and hang up: the safe route when the menu cannot go on."""
        self.actions.append(Say(APOLOGY))
        self.hang_up(Outcome("error", detail))

    def finish(self) -> Step:
        actions = self.actions
        if not actions or not isinstance(actions[-1], _CLOSING):
            self.fail("step ended without returning control")  # a bug guard, never expected
        return Step(
            actions=tuple(actions),
            path=tuple(self.path),
            outcome=self.outcome,
            line=self.line,
            recording=self.recording,
            dial_status=self.dial_status,
            survey=self.survey,
            personal=self.personal,
            keys_are_number=self.keys_are_number,
        )
