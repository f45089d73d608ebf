"""``ivr calls list/show``: the call log of real simulated calls, as a supervisor reads it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ivr.numbers import masked
from ivr.simulator import Answer, InProcess, Phone
from tests.web.conftest import AUTH_TOKEN, OPEN_INSTANT

CALLER = "+5511912344321"
HIDDEN = "91234"  # any part of the number before its last 4 digits


@pytest.fixture
def placed(app, clock):
    """Three calls a minute apart: transferred to ERP (then rated 4, with an opinion), a
    voicemail, a hang-up at the menu."""
    sids = {}
    caller = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER)
    keys = ("2", "1", "1", "4", "s:foi ótima, liguem no (11) 91234-4321")
    sids["erp"] = caller.call([Answer.parse(key) for key in keys]).call_sid
    clock.at = OPEN_INSTANT + timedelta(minutes=1)
    nobody = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER, agents_answer=False)
    voicemail = nobody.call([Answer.parse("0")])
    sids["voicemail"] = voicemail.call_sid
    recorded = next(t for t in voicemail.turns if "RecordingUrl" in t.params)
    sids["recording"] = recorded.params["RecordingUrl"]
    clock.at = OPEN_INSTANT + timedelta(minutes=2)
    sids["hung_up"] = "CA" + "9" * 32
    caller.signed_post("/voice/incoming", caller.base_params(sids["hung_up"], "ringing"))
    caller.signed_post("/voice/status", caller.base_params(sids["hung_up"], "completed"))
    assert app.extensions["ivr"].call_log.flush()
    return sids


def test_list_is_newest_first_with_the_number_masked_and_the_outcome(ivr, placed):
    header, *lines = ivr("calls", "list").splitlines()
    assert header.split() == ["INÍCIO", "CHAMADA", "DE", "LINHA", "SITUAÇÃO", "DESFECHO"]
    # every column starts under its header
    for column in ("CHAMADA", "DE", "LINHA", "SITUAÇÃO", "DESFECHO"):
        assert lines[2][header.index(column) - 2 : header.index(column)] == "  ", column
    assert [line.split()[2] for line in lines] == [
        placed["hung_up"],
        placed["voicemail"],
        placed["erp"],
    ]
    assert lines[0].startswith("24/11/2026 10h02")  # São Paulo time, not UTC
    assert lines[2].startswith("24/11/2026 10h00")
    assert all("+55 •• ••••-4321" in line for line in lines)
    assert HIDDEN not in "\n".join(lines)
    assert lines[0].endswith("desligou em principal")
    assert lines[1].endswith("recado")
    assert lines[2].endswith("transferida → queue:suporte-erp")
    assert " erp " in lines[2]


def test_list_limit_keeps_the_newest(ivr, placed):
    _header, *lines = ivr("calls", "list", "--limit", "1").splitlines()
    assert len(lines) == 1
    assert placed["hung_up"] in lines[0]


def sids(output: str) -> list[str]:
    return [line.split()[2] for line in output.splitlines()[1:]]


def test_list_filters_by_outcome_line_and_start(ivr, placed):
    assert sids(ivr("calls", "list", "--outcome", "voicemail")) == [placed["voicemail"]]
    assert sids(ivr("calls", "list", "--outcome", "transferred")) == [placed["erp"]]
    assert sids(ivr("calls", "list", "--line", "erp")) == [placed["erp"]]
    # a time without an offset is São Paulo time, as everywhere
    since = sids(ivr("calls", "list", "--since", "2026-11-24T10:01"))
    assert since == [placed["hung_up"], placed["voicemail"]]
    both = ivr("calls", "list", "--since", "2026-11-24T10:01", "--outcome", "hung_up", "--json")
    assert [row["call_sid"] for row in json.loads(both)] == [placed["hung_up"]]
    assert ivr("calls", "list", "--line", "wms") == "nenhuma ligação com esses filtros\n"
    assert "--outcome" in ivr("calls", "list", "--outcome", "talvez", code=2)


def test_list_json_is_masked(ivr, placed):
    data = json.loads(ivr("calls", "list", "--json"))
    assert [row["call_sid"] for row in data][-1] == placed["erp"]
    assert {row["from"] for row in data} == {"+55 •• ••••-4321"}
    assert data[-1]["outcome"] == "transferred"
    assert data[-1]["started_at"] == "2026-11-24T10:00:00-03:00"


def test_show_gives_the_keys_and_nodes_of_each_step(ivr, placed):
    output = ivr("calls", "show", placed["erp"])
    assert "+55 •• ••••-4321" in output
    assert HIDDEN not in output
    assert "desfecho  transferida → queue:suporte-erp" in output
    steps = output.split("caminho:\n")[1].splitlines()
    assert ["teclas 2" in steps[1], "teclas 1" in steps[2], "teclas 1" in steps[3]] == [True] * 3
    assert "principal" in steps[1] and "entrou em produtos" in steps[1]
    assert "entrou em linha_horario → atendente_linha" in steps[3]
    assert "gravação" not in output


def test_show_a_voicemail_gives_the_recording(ivr, placed):
    output = ivr("calls", "show", placed["voicemail"])
    assert "desfecho  recado" in output
    assert f"gravação  {placed['recording']} (12 s)" in output


def test_the_full_number_only_with_show_number(ivr, placed):
    assert CALLER not in ivr("calls", "show", placed["erp"])
    assert f"de        {CALLER}" in ivr("calls", "show", placed["erp"], "--show-number")
    data = json.loads(ivr("calls", "show", placed["erp"], "--json"))
    assert data["from"] == "+55 •• ••••-4321"
    assert [step["digits"] for step in data["steps"] if step["digits"]] == ["2", "1", "1", "4"]
    assert data["steps"][1]["entered"] == ["produtos"]
    shown = json.loads(ivr("calls", "show", placed["erp"], "--json", "--show-number"))
    assert shown["from"] == CALLER


def test_the_rating_is_in_the_list_and_in_the_call(ivr, placed):
    rows = {row["call_sid"]: row for row in json.loads(ivr("calls", "list", "--json"))}
    assert {sid: row["rating"] for sid, row in rows.items()} == {
        placed["erp"]: 4,
        placed["voicemail"]: None,
        placed["hung_up"]: None,
    }
    output = ivr("calls", "show", placed["erp"])
    assert "nota      4 de 5 (pesquisa de satisfação)" in output
    assert 'opinião   "foi ótima, liguem no +55 •• ••••-4321"' in output  # a number, masked
    assert HIDDEN not in output
    shown = ivr("calls", "show", placed["erp"], "--show-number")
    assert 'opinião   "foi ótima, liguem no (11) 91234-4321"' in shown
    assert "nota" not in ivr("calls", "show", placed["voicemail"]).split("caminho:")[0]
    data = json.loads(ivr("calls", "show", placed["erp"], "--json"))
    assert data["rating"] == 4
    assert [(a["rating"], a["comment"]) for a in data["survey"]] == [
        (4, None),
        (None, "foi ótima, liguem no +55 •• ••••-4321"),
    ]


def test_show_an_unknown_call_fails(ivr, placed):
    assert "a ligação CAnope não está" in ivr("calls", "show", "CAnope", code=1)


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+5511987654321", "+55 •• ••••-4321"),
        ("+551130044321", "+55 •• ••••-4321"),  # a landline looks like a mobile
        ("+12025550123", "+1 ••••0123"),
        ("+266696687", "+266 ••••"),  # too short: the last 4 would be half of it
        ("anonymous", "••••"),
        ("client:alice", "••••"),
        (None, "—"),
    ],
)
def test_masked_shows_at_most_the_last_four_digits(number, shown):
    assert masked(number) == shown


def test_a_number_keyed_for_a_callback_is_masked_like_the_callers(ivr, app, clock):
    """At night the caller books a callback to a number typed on the keypad."""
    clock.at = OPEN_INSTANT.replace(hour=20)
    caller = Phone(InProcess(app), AUTH_TOKEN, caller=CALLER)
    booked = caller.call([Answer(key) for key in ("1", "2", "21987651234", "1", "1")])
    assert booked.ended == "hangup"
    assert app.extensions["ivr"].call_log.flush()
    output = ivr("calls", "show", booked.call_sid)
    assert "teclas •••••••1234" in output
    assert "98765" not in output and HIDDEN not in output
    data = ivr("calls", "show", booked.call_sid, "--json")
    assert "98765" not in data and "•••••••1234" in data
    # The call log never kept it: the callback has the number, not the call's steps.
    shown = ivr("calls", "show", booked.call_sid, "--show-number")
    assert "teclas •••••••1234" in shown and "98765" not in shown
