"""Callbacks booked on the phone, through the signed webhooks of the shipped menu:
the caller's own number, a typed one, a refused one, and a number already booked."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from urllib.parse import quote, unquote

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.cli.call_log import step_data
from ivr.privacy.requests import export, forget
from ivr.simulator import Answer, InProcess, Phone, Transcript
from ivr.storage.models import Callback, CallStep
from tests.web.conftest import AUTH_TOKEN, SAO_PAULO
from tickets_bridge.protocol import spoken_protocol

CALLER = "+5511976543210"
FRIDAY_EVENING = datetime(2026, 11, 27, 17, 45, tzinfo=SAO_PAULO)
MONDAY_9H = datetime(2026, 11, 30, 9, 0, tzinfo=SAO_PAULO)


def callbacks(app) -> list[Callback]:
    with Session(app.extensions["ivr"].engine) as session:
        return list(session.scalars(select(Callback).order_by(Callback.id)).all())


def call(app, clock, keys: str, caller: str = CALLER) -> Transcript:
    clock.at = FRIDAY_EVENING
    phone = Phone(InProcess(app), AUTH_TOKEN, caller=caller)
    return phone.call([Answer.parse(key) for key in keys.split()])


def test_friday_evening_own_number_is_called_back_on_monday_morning(app, clock):
    transcript = call(app, clock, "1 1 2")
    (booked,) = callbacks(app)
    heard = transcript.heard
    assert any(
        "Vamos retornar para o número um um, nove sete meia cinco quatro, três dois um zero. "
        "Digite 1 para receber o retorno neste número, ou 2 para informar outro número." in h
        for h in heard
    )
    assert "Vamos ligar para você na segunda-feira, 30 de novembro, entre 9h e 9h30." in heard
    assert f"Repetindo: {spoken_protocol(booked.protocol)}." in heard
    assert transcript.ended == "hangup"
    assert (booked.number, booked.line, booked.status) == (CALLER, "geral", "scheduled")
    assert booked.scheduled_for == MONDAY_9H
    assert booked.source_call_sid == transcript.call_sid


def test_a_typed_number_is_read_back_and_booked(app, clock):
    transcript = call(app, clock, "1 2 21987651234 1 1")
    (booked,) = callbacks(app)
    assert (
        "Você digitou dois um, nove oito sete meia cinco, um dois três quatro. "
        "Para confirmar, digite 1. Para digitar outro número, digite 2." in transcript.heard
    )
    assert booked.number == "+5521987651234"
    assert booked.scheduled_for == MONDAY_9H


def test_a_number_without_area_code_takes_the_callers_and_says_so(app, clock):
    transcript = call(app, clock, "1 2 987651234 1 3")
    (booked,) = callbacks(app)
    assumed = "Como você não digitou o DDD, usamos o mesmo do seu telefone."
    assert any(h.startswith(assumed) for h in transcript.heard)
    assert booked.number == "+5511987651234"
    assert booked.scheduled_for == datetime(2026, 11, 30, 13, 30, tzinfo=SAO_PAULO)


def test_a_0900_number_is_refused_and_the_caller_is_offered_the_voicemail(app, clock):
    transcript = call(app, clock, "1 2 09001234567 09001234567 09001234567")
    heard = transcript.heard
    refusal = "Não podemos retornar para números 0300, 0500, 0800 ou 0900."
    assert sum(refusal in h for h in heard) == 3
    assert "Não conseguimos registrar um número para o retorno." in heard
    assert any(h.startswith("Se preferir, deixe uma mensagem") for h in heard)
    assert transcript.ended == "voicemail-recorded"
    assert callbacks(app) == []


def test_an_anonymous_caller_is_asked_for_a_number(app, clock):
    for withheld in ("anonymous", "+266696687", ""):
        transcript = call(app, clock, "1 11987650000 1 1", caller=withheld)
        assert any("Não conseguimos identificar o número" in h for h in transcript.heard)
    assert [c.number for c in callbacks(app)] == ["+5511987650000"]  # one per number and line


def test_a_second_request_hears_the_booking_and_may_keep_or_cancel_it(app, clock):
    call(app, clock, "1 1 1")
    (first,) = callbacks(app)
    clock.at += timedelta(minutes=5)
    kept = call(app, clock, "1 1 1")
    told = (
        "Você já tem um retorno marcado: vamos ligar na segunda-feira, 30 de novembro, "
        "entre 9h e 9h30."
    )
    assert told in kept.heard
    assert "Combinado, o seu retorno continua marcado." in kept.heard
    assert [c.status for c in callbacks(app)] == ["scheduled"]
    cancelled = call(app, clock, "1 1 2")
    assert "Pronto, o seu retorno foi cancelado." in cancelled.heard
    (after,) = callbacks(app)
    assert after.protocol == first.protocol and after.status == "cancelled"


def test_a_replayed_booking_webhook_books_once_and_says_the_same(app, clock):
    transcript = call(app, clock, "1 1 1")
    booking = next(t for t in transcript.turns if "Vamos ligar para você" in " ".join(t.heard))
    phone = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER)
    clock.at += timedelta(seconds=5)
    _url, status, body = phone.signed_post(booking.url, booking.params)  # Twilio retries
    assert status == 200 and body == booking.twiml
    assert len(callbacks(app)) == 1


def test_what_one_caller_hears_alone_stays_out_of_the_shared_answer_cache(app, clock):
    """Numbers and protocols are said to one caller: caching them would push out the
    answers every caller shares (the menus), and slow every webhook."""
    _version, release = app.extensions["ivr"].versions.current()
    cached = release.renderer._template.cache_info  # type: ignore[union-attr]
    call(app, clock, "1 1 1")
    shared = cached().currsize
    for i in range(3):
        call(app, clock, f"1 2 2198765123{i} 1 1", caller=f"+55119765432{i}0")
    assert cached().currsize == shared


def number_pieces(e164: str) -> set[str]:
    """Every run of 6 digits of a number, plain and as a URL would encode its +."""
    digits = e164.lstrip("+")
    runs = {digits[i : i + 6] for i in range(len(digits) - 5)}
    return runs | {quote(e164), quote(e164, safe=""), e164}


def test_step_urls_never_carry_the_typed_or_own_number_and_it_is_still_booked(app, clock):
    typed = "+5521987651234"
    transcript = call(app, clock, "1 2 21987651234 1 1")
    urls = [turn.url for turn in transcript.turns]
    for turn in transcript.turns:
        root = ET.fromstring(turn.twiml)
        urls += [el.get("action") or "" for el in root.iter()]
        urls += [(el.text or "") for el in root.iter("Redirect")]
    assert any("&d=" in url for url in urls)  # the number did ride along, sealed
    for url in urls:
        for piece in number_pieces(typed) | number_pieces(CALLER):
            assert piece not in url and piece not in unquote(url), url
    assert [c.number for c in callbacks(app)] == [typed]


def test_an_altered_number_in_a_step_url_is_asked_again_not_an_error(app, clock):
    transcript = call(app, clock, "1 2 21987651234 2")  # read back, then: key again
    confirm = next(t for t in transcript.turns if "Você digitou" in " ".join(t.heard))
    action = ET.fromstring(confirm.twiml).find("Gather").get("action")  # type: ignore[union-attr]
    head, _, sealed = action.partition("&d=")
    phone = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER)
    params = phone.base_params(transcript.call_sid, "in-progress") | {"Digits": "1"}
    for altered in (sealed[:-3] + "AAA", "c21987651234", ""):
        _url, status, body = phone.signed_post(f"{head}&d={altered}", params)
        assert status == 200
        assert "Digite o número de telefone para o retorno, com DDD" in body
    assert callbacks(app) == []


def test_the_call_log_keeps_a_typed_number_masked_and_forget_leaves_none_of_it(app, clock):
    typed = "+5521987651234"
    transcript = call(app, clock, "1 2 021987651234 1 1")  # as some type it, with a 0
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        steps = list(session.scalars(select(CallStep).order_by(CallStep.step)))
        kept = [step_data(s, show_number=True)["digits"] for s in steps]
        assert "••••••••1234" in kept  # the step still shows a number was keyed
        everything = json.dumps(kept) + json.dumps(export(session, CALLER), default=str)
        for piece in number_pieces(typed) | {"98765"}:
            assert piece not in everything
        assert [c["number"] for c in export(session, typed)["callbacks"]] == [typed]
        forget(session, typed, clock.at, actor="dpo", key="test-secret")
        session.commit()
    with Session(app.extensions["ivr"].engine) as session:
        assert session.scalars(select(Callback)).all() == []
        left = json.dumps([s.digits for s in session.scalars(select(CallStep))])
        assert not any(piece in left for piece in number_pieces(typed))
        assert [c["call_sid"] for c in export(session, CALLER)["calls"]] == [transcript.call_sid]
