"""Walking calls through menus: what the caller hears and where the call goes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.menus import engine
from ivr.menus.actions import (
    CallState,
    Dial,
    Enqueue,
    Gather,
    Hangup,
    Outcome,
    Play,
    Record,
    Recording,
    Redirect,
    Say,
    Step,
)
from ivr.menus.context import CallContext, CallerEvent
from ivr.menus.loader import load_menu
from ivr.menus.nodes.menu import REPEAT
from ivr.menus.nodes.transfer import ANNOUNCE_EVERY
from tests.fakes import FixedHours

EXAMPLE = load_menu((Path(__file__).parent / "example_menu.yaml").read_text(encoding="utf-8"))
NOW = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
VERSION = 7


def context(*, is_open: bool = True) -> CallContext:
    return CallContext(now=NOW, caller="+5511987654321", hours=FixedHours(is_open))


def then(step: Step) -> CallState:
    """The state the next request carries (the last action's)."""
    last = step.actions[-1]
    assert isinstance(last, Redirect | Dial | Enqueue | Record), last
    return last.then


def said(step: Step) -> list[str]:
    """Every sentence of the step, Gather prompts included, in order."""
    texts: list[str] = []
    for action in step.actions:
        if isinstance(action, Say):
            texts.append(action.text)
        elif isinstance(action, Gather):
            texts.extend(p.text for p in action.prompts if isinstance(p, Say))
    return texts


def press(
    step: Step, digits: str | None = None, *, speech: str | None = None, **kw: object
) -> Step:
    return engine.advance(
        EXAMPLE, then(step), CallerEvent(digits=digits, speech=speech, **kw), context()
    )  # type: ignore[arg-type]


def test_a_call_opens_with_the_welcome_then_the_main_menu() -> None:
    step = engine.start(EXAMPLE, VERSION, context())
    assert step.path == ("boas_vindas", "expediente", "principal")
    say, gather, redirect = step.actions
    assert say == Say("Olá! Bem-vindo ao suporte do ERP. Esta ligação pode ser gravada.")
    assert isinstance(gather, Gather)
    assert gather.prompts[0].text.startswith("Para o módulo fiscal, digite 1.")  # type: ignore[union-attr]
    assert gather.then == CallState(VERSION, "principal", attempt=1, step=1, expect="input")
    assert gather.speech_hints is not None and "nota fiscal" in gather.speech_hints
    assert redirect == Redirect(gather.then)  # silence comes back as a request without digits
    assert step.outcome is None


def test_a_closed_line_says_when_it_reopens_and_offers_the_voicemail() -> None:
    step = engine.start(EXAMPLE, VERSION, context(is_open=False))
    assert step.path == ("boas_vindas", "expediente", "fora_do_horario", "recado")
    assert said(step)[1] == "Estamos fechados (comercial). Voltamos amanhã às 9 horas."
    # The recording notice (LGPD) comes before the instructions.
    assert said(step)[2].startswith("Esta ligação poderá ser gravada.")
    assert said(step)[3].endswith("Retornaremos no número 1 1, 9 8 7 6 5, 4 3 2 1.")
    record, redirect = step.actions[-2:]
    assert isinstance(record, Record) and record.max_length == 180 and record.play_beep
    assert record.then.expect == "record"
    assert redirect == Redirect(record.then)


def test_a_key_picks_the_product_line_and_its_submenu() -> None:
    step = press(engine.start(EXAMPLE, VERSION, context()), "1")
    assert step.path == ("fiscal",)
    assert step.line == "fiscal"
    assert said(step)[0].startswith("Linha Fiscal. Se o faturamento está parado")
    # the main menu announced the repeat key: no menu of the call says it again
    assert then(step) == CallState(VERSION, "fiscal", line="fiscal", step=2, told=REPEAT)


def test_speech_matches_without_case_or_accents_inside_a_sentence() -> None:
    first = engine.start(EXAMPLE, VERSION, context())
    assert press(first, speech="Quero falar sobre NOTA FISCAL, por favor.").path == ("fiscal",)
    step = press(first, speech="expedicao")
    assert step.path == ("atendimento",)
    assert step.line == "estoque"
    assert said(step) == ["Transferindo para o suporte Estoque e Expedição. Aguarde, por favor."]
    assert step.actions[-1] == Enqueue(
        "suporte_estoque",
        then=CallState(VERSION, "atendimento", line="estoque", step=2, expect="enqueue"),
        announce_every=ANNOUNCE_EVERY,  # the caller hears the place in the queue
    )


def test_a_wrong_key_three_times_goes_to_after_retries() -> None:
    step = engine.start(EXAMPLE, VERSION, context())
    for attempt in (2, 3):
        step = press(step, "7")
        assert step.path == ("principal",)
        assert said(step)[0] == "Desculpe, essa opção não é válida."
        assert then(step).attempt == attempt
    step = press(step, "5")
    assert step.path == ("atendente",)
    assert said(step) == [
        "Desculpe, essa opção não é válida.",
        "Aguarde, vamos transferir para um atendente.",
    ]
    assert isinstance(step.actions[-1], Enqueue) and step.actions[-1].queue == "suporte_geral"


def test_an_unrecognised_phrase_counts_as_a_wrong_answer() -> None:
    step = press(engine.start(EXAMPLE, VERSION, context()), speech="banana")
    assert said(step)[0] == "Desculpe, essa opção não é válida."
    assert then(step).attempt == 2


def test_silence_reprompts_with_the_no_input_message() -> None:
    step = press(engine.start(EXAMPLE, VERSION, context()))
    assert said(step)[0] == "Desculpe, não recebemos nenhuma resposta."
    assert then(step) == CallState(VERSION, "principal", attempt=2, step=2)


def test_a_caller_who_never_answers_ends_timed_out_at_the_menu() -> None:
    menu = load_menu(
        """\
start: m
nodes:
  m:
    kind: menu
    say: Digite 1 para falar com o suporte.
    options: {"1": {next: t}}
    retries: 2
    no_input: Não ouvimos nada.
    after_retries: fim
  t: {kind: transfer, queue: suporte}
  fim: {kind: hangup, say: Até logo.}
"""
    )
    step = engine.start(menu, 1, context())
    step = engine.advance(menu, then(step), CallerEvent(), context())
    step = engine.advance(menu, then(step), CallerEvent(), context())
    assert said(step) == ["Não ouvimos nada.", "Até logo."]
    assert step.actions[-1] == Hangup()
    assert step.outcome == Outcome("timed_out", "m")


def test_an_answered_transfer_ends_transferred() -> None:
    step = press(press(engine.start(EXAMPLE, VERSION, context()), "1"), "1")
    assert isinstance(step.actions[-1], Dial)
    assert step.actions[-1].number == "+551130001000"
    done = press(step, dial_status="completed")
    assert done.actions == (Hangup(),)
    assert done.outcome == Outcome("transferred", "+551130001000")


def test_a_bridged_queue_ends_transferred_to_the_queue() -> None:
    step = press(engine.start(EXAMPLE, VERSION, context()), "2")
    done = press(step, dial_status="bridged")
    assert done.outcome == Outcome("transferred", "suporte_estoque")
    assert done.line == "estoque"


def test_an_unanswered_transfer_falls_back() -> None:
    urgent = press(press(engine.start(EXAMPLE, VERSION, context()), "1"), "1")
    step = press(urgent, dial_status="no-answer")
    assert step.path == ("atendimento",)
    assert step.dial_status == "no-answer"
    # line: current, and the caller chose the fiscal line
    assert step.actions[-1] == Enqueue(
        "suporte_fiscal",
        then=CallState(
            VERSION, "atendimento", line="fiscal", step=4, expect="enqueue", told=REPEAT
        ),
        announce_every=ANNOUNCE_EVERY,
    )
    voicemail = press(step, dial_status="queue-full")
    assert voicemail.path == ("recado",)
    assert isinstance(voicemail.actions[-2], Record)


def test_line_current_without_a_chosen_line_uses_the_queue_beside_it() -> None:
    state = CallState(VERSION, "fiscal", step=5)
    step = engine.advance(EXAMPLE, state, CallerEvent(digits="2"), context())
    assert step.actions[-1] == Enqueue(
        "suporte_geral",
        then=CallState(VERSION, "atendimento", step=6, expect="enqueue"),
        announce_every=ANNOUNCE_EVERY,
    )


def test_a_failed_transfer_without_fallback_apologises_before_hanging_up() -> None:
    menu = load_menu(
        """\
start: m
nodes:
  m:
    kind: menu
    play: "https://cdn.example.com/menu.mp3"
    options: {"0": {next: t}}
    after_retries: t
  t: {kind: transfer, sip: "sip:suporte@pbx.example.com"}
"""
    )
    start = engine.start(menu, 1, context())
    assert start.actions[0].prompts == (  # type: ignore[union-attr]
        Play("https://cdn.example.com/menu.mp3"),
        Say("Para ouvir as opções de novo, digite 9."),
    )
    dial = engine.advance(menu, then(start), CallerEvent(digits="0"), context())
    assert dial.actions[-1] == Dial(then=then(dial), sip="sip:suporte@pbx.example.com")
    step = engine.advance(menu, then(dial), CallerEvent(dial_status="busy"), context())
    assert said(step)[0].startswith("Desculpe, não conseguimos completar sua ligação")
    assert step.actions[-1] == Hangup()
    assert step.outcome == Outcome("hung_up", "t")


def test_a_recorded_message_ends_with_thanks_and_the_recording_url() -> None:
    record = engine.start(EXAMPLE, VERSION, context(is_open=False))
    step = engine.advance(
        EXAMPLE,
        then(record),
        CallerEvent(recording_url="https://api.twilio.com/Recordings/RE1", recording_duration=31),
        context(),
    )
    assert said(step) == ["Obrigado. Sua mensagem foi gravada e retornaremos o contato."]
    assert step.actions[-1] == Hangup()
    assert step.outcome == Outcome("voicemail", "recado")
    assert step.recording == Recording("https://api.twilio.com/Recordings/RE1", 31)


@pytest.mark.parametrize(
    "empty",
    [
        CallerEvent(),  # Twilio fell through to the Redirect after <Record>
        CallerEvent(recording_url="https://api.twilio.com/Recordings/RE0", recording_duration=0),
    ],
    ids=["fell-through", "zero-seconds"],
)
def test_an_empty_recording_is_not_confirmed_and_the_caller_gets_one_more_try(
    empty: CallerEvent,
) -> None:
    record = engine.start(EXAMPLE, VERSION, context(is_open=False))
    retry = engine.advance(EXAMPLE, then(record), empty, context())
    assert said(retry) == [
        "Nenhuma mensagem foi gravada. Vamos tentar mais uma vez: fale depois do sinal."
    ]
    assert isinstance(retry.actions[-2], Record) and then(retry).attempt == 2
    assert retry.outcome is None and retry.recording is None and retry.dial_status is None

    again = engine.advance(EXAMPLE, then(retry), empty, context())
    assert said(again) == [
        "Não recebemos nenhuma mensagem. Se precisar, ligue novamente. Obrigado por ligar."
    ]
    assert again.actions[-1] == Hangup()
    assert again.outcome == Outcome("no_message", "recado")
    assert again.recording is None


def test_a_message_recorded_on_the_second_try_is_thanked_for() -> None:
    record = engine.start(EXAMPLE, VERSION, context(is_open=False))
    retry = engine.advance(EXAMPLE, then(record), CallerEvent(), context())
    step = engine.advance(
        EXAMPLE,
        then(retry),
        CallerEvent(recording_url="https://api.twilio.com/Recordings/RE2", recording_duration=9),
        context(),
    )
    assert said(step) == ["Obrigado. Sua mensagem foi gravada e retornaremos o contato."]
    assert step.outcome == Outcome("voicemail", "recado")


def test_after_two_empty_tries_the_call_goes_to_empty_never_to_next() -> None:
    """``next`` thanks for a message: a caller who left none goes to ``empty``."""
    menu = load_menu(
        """\
start: m
nodes:
  m: {kind: menu, say: Digite 1., options: {"1": {next: t}}, after_retries: r}
  t: {kind: transfer, queue: fila, fallback: r}
  r: {kind: voicemail, say: Fale após o sinal., next: fim, empty: sem_recado}
  fim: {kind: hangup, say: Recebemos a sua mensagem.}
  sem_recado: {kind: hangup, say: Não recebemos nenhuma mensagem. Até logo!}
"""
    )
    record = engine.advance(
        menu, CallState(VERSION, "t", expect="enqueue"), CallerEvent(dial_status="leave"), context()
    )
    retry = engine.advance(menu, then(record), CallerEvent(), context())
    step = engine.advance(menu, then(retry), CallerEvent(), context())
    assert said(step) == ["Não recebemos nenhuma mensagem. Até logo!"]
    assert step.outcome == Outcome("no_message", "r")


def test_every_state_counts_one_request_further_and_keeps_the_version() -> None:
    step = engine.start(EXAMPLE, 42, context())
    for n, digits in enumerate(["7", "x", None], start=2):
        step = press(step, digits)
        assert then(step).step == n
        assert then(step).version == 42


def test_the_hours_node_asks_the_calendar_for_the_line_schedule() -> None:
    menu = load_menu(
        """\
start: m
lines: {fiscal: {name: Fiscal, queue: fila-fiscal, schedule: fiscal-horario}}
schedules: {fiscal-horario: {week: {seg-sex: ["09:00-18:00"]}}}
nodes:
  m: {kind: menu, say: Digite 1., options: {"1": {next: h, line: fiscal}}, after_retries: t}
  h: {kind: hours, open: t, closed: fechado}
  fechado: {kind: hangup, say: "{aviso_horario}"}
  t: {kind: transfer, line: fiscal}
"""
    )
    hours = FixedHours(open=False)
    ctx = CallContext(now=NOW, hours=hours)
    step = engine.advance(menu, CallState(1, "m"), CallerEvent(digits="1"), ctx)
    assert hours.asked == ["fiscal-horario"]
    assert said(step) == ["Estamos fechados (fiscal-horario). Voltamos amanhã às 9 horas."]
    assert step.outcome == Outcome("hung_up", "fechado")


class LunchHours(FixedHours):
    """Lunch: the default schedule is closed, the straight-through one is open."""

    def is_open(self, schedule: str | None, now: datetime) -> bool:
        self.asked.append(schedule)
        return schedule == "corrido"


def test_the_closed_notice_speaks_of_the_schedule_found_closed_not_the_last_asked() -> None:
    """At lunch a caller hears why the usual line is closed, not the open one's silence."""
    menu = load_menu(
        """\
start: h
schedules: {padrao: {week: {seg-sex: ["09:00-17:00"]}}, corrido: {week: {seg-sex: ["09:00-17:00"]}}}
nodes:
  h: {kind: hours, schedule: padrao, open: t, closed: h2}
  h2: {kind: hours, schedule: corrido, open: almoco, closed: t}
  almoco: {kind: hangup, say: "{aviso_horario}"}
  t: {kind: transfer, queue: q}
"""
    )
    hours = LunchHours()
    step = engine.start(menu, 1, CallContext(now=NOW, hours=hours))
    assert hours.asked == ["padrao", "corrido"]
    assert said(step) == ["Estamos fechados (padrao). Voltamos amanhã às 9 horas."]


@pytest.mark.parametrize("expect", ["dial", "record", "enqueue"])
def test_a_menu_state_with_an_unexpected_reply_prompts_again(expect: str) -> None:
    state = CallState(VERSION, "principal", step=3, expect=expect)  # type: ignore[arg-type]
    step = engine.advance(EXAMPLE, state, CallerEvent(dial_status="completed"), context())
    assert step.path == ("principal",)
    assert then(step) == CallState(VERSION, "principal", step=4)


def test_a_state_naming_an_unknown_node_apologises_and_hangs_up() -> None:
    step = engine.advance(EXAMPLE, CallState(VERSION, "sumiu"), CallerEvent(), context())
    assert step.actions[-1] == Hangup()
    assert said(step)[0].startswith("Desculpe, tivemos um problema técnico")
    assert step.outcome == Outcome("error", "unknown node 'sumiu'")
