"""Expected call paths, written by supervisors, checked against a menu.

A scenario file::

    scenarios:
      - name: ERP, estoque, em horário comercial
        at: 2026-11-24T10:00:00-03:00     # when the call happens (no offset: São Paulo)
        from: "+5511987654321"            # optional; else a number of its own
        keys: "2 1 1"                     # one token per menu: keys, "-" silence, "s:texto" speech
                                          # (at a recording: "-" or "#" records nothing)
        agents_answer: true               # optional; false: nobody picks up
        queue_position: 3                 # optional: the caller's place on entering a queue
        agent_after: 3                    # optional: wait announcements before an agent answers
        queue_key: "1"                    # optional: pressed at the first wait announcement
        replay: true                      # optional: every answer posted twice (Twilio's retry)
        expect:
          hears: ["Você escolheu ERP Retaguarda"]  # said, in this order (substrings)
          not_hears: ["Opção inválida"]
          ends: transferred               # transferred | voicemail-recorded | hangup
          transferred_to: queue:suporte-erp
          ratings: [4]                    # the survey ratings stored for the call, once each
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hours.clock import SettableClock
from hours.schedule import DEFAULT_TIMEZONE
from hours.validation import say
from ivr.simulator.phone import Answer, Phone, Transcript
from ivr.simulator.transport import Transport


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hears: list[str] = []
    not_hears: list[str] = []
    ends: Literal["transferred", "voicemail-recorded", "hangup"] | None = None
    transferred_to: str | None = None
    ratings: list[int] | None = None


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    at: datetime
    caller: str = Field(default="+5511987654321", alias="from")
    keys: str = ""
    agents_answer: bool = True
    queue_position: int = Field(default=1, ge=1, le=99)
    agent_after: int = Field(default=0, ge=0, le=30)
    queue_key: str | None = Field(default=None, pattern=r"^[0-9*#]$")
    replay: bool = False
    expect: Expectation

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        """Without an offset, the line's clock (São Paulo), as ``ivr call --at`` reads it."""
        if value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
        return value


class ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenarios: list[Scenario]


class ScenarioFileInvalid(ValueError):
    pass


def load_scenarios(text: str, filename: str) -> list[Scenario]:
    try:
        return ScenarioFile.model_validate(yaml.safe_load(text)).scenarios
    except yaml.YAMLError as exc:
        raise ScenarioFileInvalid(f"{filename}: {exc}") from None
    except ValidationError as exc:
        lines = [
            f"{filename}: {'.'.join(str(p) for p in error['loc'])}: {say(error)}"
            for error in exc.errors()
        ]
        raise ScenarioFileInvalid("\n".join(lines)) from None


@dataclass(frozen=True, slots=True)
class Result:
    scenario: Scenario
    transcript: Transcript
    differences: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.differences


RatingsOf = Callable[[str], list[int]]
"""The survey ratings stored for a CallSid, in the order given."""


def differences(
    expect: Expectation, transcript: Transcript, ratings_of: RatingsOf | None = None
) -> Iterator[str]:
    """What the caller experienced that the scenario did not expect, in words."""
    heard = transcript.heard
    spoken = "\n".join(heard)
    position = 0
    for phrase in expect.hears:
        found = spoken.find(phrase, position)
        if found < 0:
            earlier = phrase in spoken[:position]
            where = " (ouviu antes, fora de ordem)" if earlier else ""
            yield f"deveria ouvir {phrase!r}{where}"
        else:
            position = found + len(phrase)
    for phrase in expect.not_hears:
        for text in heard:
            if phrase in text:
                yield f"não deveria ouvir {phrase!r}, mas ouviu: {text!r}"
    if expect.ends is not None and transcript.ended != expect.ends:
        yield f"a ligação deveria terminar em {expect.ends!r}, terminou em {transcript.ended!r}"
    if expect.transferred_to is not None and transcript.transferred_to != expect.transferred_to:
        yield (
            f"deveria transferir para {expect.transferred_to!r}, "
            f"transferiu para {transcript.transferred_to or 'nenhum lugar'!r}"
        )
    if expect.ratings is not None and ratings_of is not None:
        stored = ratings_of(transcript.call_sid)
        if stored != expect.ratings:
            yield f"deveria guardar as notas {expect.ratings}, guardou {stored}"


def caller_of(scenario: Scenario, index: int) -> str:
    """The number the scenario calls from: its ``from``, else one of its own.

    Scenarios share one database, and a caller's tickets change what they
    hear next time ("Você já tem um chamado aberto"): each scenario that names
    no number gets its own, so scenarios are independent unless they share a
    ``from`` on purpose.
    """
    if "caller" in scenario.model_fields_set:
        return scenario.caller
    return f"+55119{87654321 - index:08d}"


def run_scenarios(
    scenarios: list[Scenario],
    transport: Transport,
    clock: SettableClock,
    auth_token: str,
    ratings_of: RatingsOf | None = None,
) -> list[Result]:
    """Place every scenario's call through ``transport`` with the clock at its instant;
    ``ratings_of`` reads what the survey stored (``expect.ratings``)."""
    results = []
    for index, scenario in enumerate(scenarios):
        clock.at = scenario.at
        phone = Phone(
            transport,
            auth_token,
            caller=caller_of(scenario, index),
            agents_answer=scenario.agents_answer,
            queue_position=scenario.queue_position,
            agent_after=scenario.agent_after,
            queue_key=scenario.queue_key,
            replay=scenario.replay,
        )
        transcript = phone.call([Answer.parse(token) for token in scenario.keys.split()])
        found = tuple(differences(scenario.expect, transcript, ratings_of))
        results.append(Result(scenario, transcript, found))
    return results
