"""What every node kind shares: the pydantic base, field types, the kind record.

A node kind is one module in this package holding its model (a subclass of
``NodeModel`` with ``kind: Literal[...]``) and its behaviour, the two
functions ``enter`` and ``resume`` (see ``Enter`` and ``Resume``), bundled in
a ``NodeKind`` that ``ivr.menus.nodes`` registers.

The graph methods (``flow_targets``, ``choice_targets``, ``lines_used``,
``schedules_used``, ``prompts``) are what the linter reads, so a new kind is
checked without the linter knowing it. Each yields ``(loc, value)`` pairs
where ``loc`` is the place of the value inside the node, e.g.
``("options", "3", "next")``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator

from ivr.menus.actions import CallState
from ivr.menus.context import CallerEvent
from ivr.menus.prompts import Prompt, parse_prompt

if TYPE_CHECKING:
    from ivr.menus.turn import Turn

Loc = tuple[str | int, ...]

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")


def check_id(value: str) -> str:
    """Node, line and schedule ids travel in signed URLs: keep them plain."""
    if not _ID.fullmatch(value):
        raise ValueError(
            f"id inválido {value!r}: use letras, dígitos, '_' e '-' (no máximo 64 caracteres)"
        )
    return value


def _check_audio_url(value: str) -> str:
    if not re.fullmatch(r"https?://\S+", value):
        raise ValueError(f"o áudio deve ser uma URL http(s) (encontrado: {value!r})")
    return value


Ident = Annotated[str, AfterValidator(check_id)]
"""A node id, a target (``next``, ``after_retries`` …), a line or schedule id."""

PromptText = Annotated[Prompt, PlainValidator(parse_prompt)]
"""pt-BR text to speak, with ``{linha}``, ``{numero}``, ``{aviso_horario}``."""

AudioUrl = Annotated[str, AfterValidator(_check_audio_url)]


class NodeModel(BaseModel):
    """Base of every node model: immutable, and no field it does not know."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    takes_input: ClassVar[bool] = False  # waits for the caller's keys or speech
    ends_call: ClassVar[bool] = False  # a way out: transfer, voicemail, hangup
    reaches_person: ClassVar[bool] = False  # puts the caller through to people

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        """Where the call goes without the caller choosing (next, timeouts, failures)."""
        return iter(())

    def choice_targets(self) -> Iterator[tuple[Loc, str]]:
        """Where the caller's choices lead (a menu's options)."""
        return iter(())

    def lines_used(self) -> Iterator[tuple[Loc, str]]:
        return iter(())

    def schedules_used(self) -> Iterator[tuple[Loc, str]]:
        return iter(())

    def prompts(self) -> Iterator[tuple[Loc, Prompt]]:
        return iter(())


def say_or_play(say: Prompt | None, play: str | None, *, required: bool) -> None:
    """Shared rule: at most one of ``say`` and ``play`` (exactly one if required)."""
    if say is not None and play is not None:
        raise ValueError("use 'say' ou 'play', não os dois")
    if required and say is None and play is None:
        raise ValueError("falta o que dizer: use 'say' (texto) ou 'play' (URL de áudio)")


Enter = Callable[[NodeModel, str, "Turn"], "str | None"]
"""``enter(node, node_id, turn)``: emit the node's actions into ``turn``.

Return the id of the node to chain into within the same step, or None when
the node has emitted something that returns control (or hangs up).
"""

Resume = Callable[[NodeModel, str, CallState, CallerEvent, "Turn"], "str | None"]
"""``resume(node, node_id, state, event, turn)``: read a request addressed to
the node (``state.node == node_id``); same return convention as ``Enter``."""


def reenter(node: NodeModel, node_id: str, state: CallState, event: CallerEvent, turn: Turn) -> str:
    """Resume for nodes that never wait for a request: enter them again."""
    return node_id


@dataclass(frozen=True, slots=True)
class NodeKind:
    """One node kind: its YAML name, its model and its behaviour."""

    name: str
    model: type[NodeModel]
    enter: Enter
    resume: Resume = reenter
