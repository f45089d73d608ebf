"""``ivr callbacks request/list/show/cancel/reschedule`` as a supervisor uses them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

FRIDAY_18H = "2026-11-27T18:00-03:00"


def test_request_books_the_first_slot_and_says_when(ivr) -> None:
    out = ivr(
        "callbacks", "request", "--number", "(11) 98765-4321", "--line", "erp", "--now", FRIDAY_18H
    )
    assert "Retorno agendado: protocolo" in out
    assert "na segunda-feira, 30 de novembro, entre 9h e 9h30" in out
    assert "4321" in out and "98765" not in out  # masked
    rows = json.loads(ivr("callbacks", "list", "--json"))
    assert len(rows) == 1
    row = rows[0]
    assert row["number"] == "+5511987654321"
    assert row["line"] == "erp" and row["status"] == "scheduled" and row["attempts"] == 0
    assert datetime.fromisoformat(row["scheduled_for"]).utcoffset() is not None
    assert row["scheduled_for"] == "2026-11-30T09:00:00-03:00"
    assert len(row["protocol"]) == 12


def test_request_at_a_time_and_reschedule_and_cancel(ivr) -> None:
    out = ivr(
        "callbacks", "request", "--number", "11 3333-4444", "--line", "fiscal",
        "--at", "2026-12-01T14:10", "--now", FRIDAY_18H,
    )  # fmt: skip
    assert "na terça-feira, 1º de dezembro, entre 14h e 14h30" in out
    protocol = json.loads(ivr("callbacks", "list", "--json"))[0]["protocol"]
    out = ivr("callbacks", "reschedule", protocol, "--quando", "tarde", "--now", FRIDAY_18H)
    assert "remarcado: na segunda-feira, 30 de novembro, entre 13h30 e 14h" in out
    shown = json.loads(ivr("callbacks", "show", protocol, "--json"))
    assert [e["kind"] for e in shown["history"]] == ["booked", "rescheduled"]
    assert "Retorno" in ivr("callbacks", "cancel", protocol)
    assert json.loads(ivr("callbacks", "list", "--json")) == []
    assert "cancelado" in ivr("callbacks", "cancel", protocol, code=1)


def test_a_second_request_for_the_same_number_and_line_is_refused_with_the_booking(ivr) -> None:
    args = ("callbacks", "request", "--number", "11987654321", "--line", "erp", "--now", FRIDAY_18H)
    ivr(*args)
    out = ivr(*args, code=1)
    assert "já tem o retorno" in out and "segunda-feira, 30 de novembro" in out


@pytest.mark.parametrize(
    ("number", "said"),
    [
        ("0900 123 4567", "0900"),
        ("+1 415 555 0100", "números do Brasil"),
        ("98765-4321", "DDD"),
        ("190", "emergência"),
    ],
)
def test_numbers_that_cannot_be_called_back_are_refused(ivr, number: str, said: str) -> None:
    out = ivr("callbacks", "request", "--number", number, "--line", "erp", code=2)
    assert said in out


def test_an_unknown_line_is_refused_with_the_known_ones(ivr) -> None:
    out = ivr("callbacks", "request", "--number", "11987654321", "--line", "xyz", code=2)
    assert "linha desconhecida" in out and "erp" in out


def test_an_emergency_closure_moves_the_callbacks_it_covers_and_says_how_many(ivr) -> None:
    for number in ("11987654321", "11912345678"):
        ivr("callbacks", "request", "--number", number, "--line", "erp")  # at the real "now"
    before = json.loads(ivr("callbacks", "list", "--json"))
    first = datetime.fromisoformat(before[0]["slot_start"])
    until = (first + timedelta(minutes=45)).isoformat()
    out = ivr("hours", "close", "--message", "Queda de energia.", "--until", until)
    assert "2 retornos agendados foram remarcados para os próximos horários livres." in out
    after = json.loads(ivr("callbacks", "list", "--json"))
    assert all(
        datetime.fromisoformat(r["slot_start"]) >= datetime.fromisoformat(until) for r in after
    )
    assert {r["protocol"] for r in after} == {r["protocol"] for r in before}
    out = ivr("hours", "close", "--message", "Outra queda.", "--for", "1m")
    assert "Nenhum retorno agendado precisou ser remarcado." in out
