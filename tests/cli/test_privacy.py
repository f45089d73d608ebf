"""``ivr privacy export`` and ``forget``: a caller's access and erasure requests (LGPD)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hours.oracle import Hours
from ivr.cli import main
from ivr.privacy.requests import number_hash
from ivr.storage.db import make_engine
from ivr.storage.models import (
    AuditEntry,
    Call,
    Callback,
    CallbackSlot,
    CallStep,
    SurveyAnswerRecord,
    TicketRecord,
)
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.zendesk import ZendeskStandIn
from tickets_bridge.adapters.tomticket import TomTicketStore
from tickets_bridge.adapters.webhook import WebhookStore
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.sql_store import TicketRules
from tickets_bridge.store import RedactionUnsupported

CALLER = "+5511912344321"
OTHER = "+5521987650000"
SECRET = "test-secret-key"
T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> TicketRules:
    return TicketRules(hours=Hours.from_config(None))


@pytest.fixture
def db(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def ivr(runner: CliRunner, database_url, tmp_path, monkeypatch):
    # On both databases, so not cli_env's SQLite file.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_DATABASE_URL", database_url)
    monkeypatch.setenv("IVR_SECRET_KEY", SECRET)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, list(args))
        assert result.exit_code == code, result.output
        return result.stdout if code == 0 else result.output

    return run


def a_caller_s_history(engine: Engine, number: str, n: int, rules, store: str = "sql") -> None:
    """Two calls (one with a voicemail), a callback pending, a ticket with a comment."""
    sid, callback_sid = f"CA{n}in", f"CA{n}out"
    with Session(engine) as session:
        session.add(
            Call(
                call_sid=sid,
                from_number=number,
                to_number="+551140040000",
                started_at=T0,
                updated_at=T0,
                recording_url=f"https://api.twilio.com/recordings/RE{n}",
                recording_duration=12,
                outcome="voicemail",
                steps=[CallStep(step=1, node="menu", digits="2", path=["menu"], at=T0)],
            )
        )
        session.add(
            Call(
                call_sid=callback_sid,
                from_number="+551140040000",
                to_number=number,
                started_at=T0 + timedelta(days=1),
                updated_at=T0 + timedelta(days=1),
            )
        )
        slot = T0 + timedelta(days=2, hours=n)
        session.add(
            CallbackSlot(line="erp", start=slot, end=slot + timedelta(minutes=30), booked=1)
        )
        session.add(
            Callback(
                protocol=f"R{n}",
                number=number,
                line="erp",
                status="scheduled",
                active_key=f"erp {number}",
                slot_start=slot,
                slot_end=slot + timedelta(minutes=30),
                scheduled_for=slot,
                created_at=T0,
                updated_at=T0,
            )
        )
        session.commit()
    protocol = record_ticket(
        engine,
        TicketRequest("Recado por telefone", f"Mensagem {n}", line="erp", phone=number),
        key=f"{sid}:5",
        now=T0,
        store=store,
        rules=rules,
    ).protocol
    record_message(
        engine,
        protocol,
        TicketRequest("Recado", "Liguei de novo", line="erp", phone=number),
        key=f"{sid}:9",
        now=T0 + timedelta(hours=1),
        rules=rules,
    )


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Call, CallStep, Callback, TicketRecord)
        }


def test_export_forget_export_leaves_nothing_of_the_caller_and_all_of_the_others(ivr, db, rules):
    a_caller_s_history(db, CALLER, 1, rules)
    a_caller_s_history(db, OTHER, 2, rules)
    before = json.loads(ivr("privacy", "export", "(11) 91234-4321"))
    assert before["number"] == CALLER
    assert [c["call_sid"] for c in before["calls"]] == ["CA1in", "CA1out"]
    assert before["calls"][0]["steps"][0]["digits"] == "2"
    assert [r["url"] for r in before["recordings"]] == ["https://api.twilio.com/recordings/RE1"]
    assert [c["protocol"] for c in before["callbacks"]] == ["R1"]
    assert len(before["tickets"]) == 1
    assert [c["text"] for c in before["tickets"][0]["comments"]][-1].startswith("Liguei de novo")
    others_before = json.loads(ivr("privacy", "export", OTHER))

    said = ivr("privacy", "forget", CALLER, "--yes")
    assert "apagados: 2 ligação(ões), 1 retorno(s) (1 cancelado(s)), 1 ticket(s)" in said
    assert CALLER not in said

    after = json.loads(ivr("privacy", "export", CALLER))  # "nada guardado" goes to stderr
    assert after == {
        "number": CALLER,
        "calls": [],
        "recordings": [],
        "callbacks": [],
        "tickets": [],
        "survey_answers": [],
        "keyed_in_calls": [],
    }
    assert json.loads(ivr("privacy", "export", OTHER)) == others_before
    assert counts(db) == {"calls": 2, "call_steps": 1, "callbacks": 1, "tickets": 1}
    with Session(db) as session:
        # The cancelled callback gave its place in the slot back.
        assert sorted(session.scalars(select(CallbackSlot.booked))) == [0, 1]


def test_the_audit_log_names_the_number_only_by_its_keyed_hash(ivr, db, rules):
    a_caller_s_history(db, CALLER, 1, rules)
    ivr("privacy", "forget", CALLER, "--yes")
    ivr("privacy", "forget", CALLER, "--yes")  # asked twice: recognisably the same number
    with Session(db) as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["privacy.forget", "privacy.forget"]
    assert {e.target for e in entries} == {number_hash(CALLER, SECRET)}
    assert json.loads(entries[0].after or "")["calls"] == 2
    assert json.loads(entries[1].after or "")["calls"] == 0
    assert all("4321" not in f"{e.target} {e.after} {e.before}" for e in entries)
    assert number_hash(CALLER, "another key") != number_hash(CALLER, SECRET)


def test_forget_asks_zendesk_to_delete_the_caller_and_nobody_else(ivr, db, rules, monkeypatch):
    standin = ZendeskStandIn()
    with serving(standin) as url:
        monkeypatch.setenv("IVR_TICKET_STORE", "zendesk")
        monkeypatch.setenv("ZENDESK_URL", url)
        monkeypatch.setenv("ZENDESK_EMAIL", standin.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", standin.token)
        caller_user = standin.add_user("Cliente", CALLER)
        other_user = standin.add_user("Outro cliente", OTHER)
        a_caller_s_history(db, CALLER, 1, rules, store="zendesk")
        said = ivr("privacy", "forget", CALLER, "--yes")
    assert "1 usuário(s) excluído(s) em zendesk" in said
    assert standin.purged == [caller_user]
    assert list(standin.users) == [other_user]
    with Session(db) as session:
        remote = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy.remote_redaction")
        ).one()
    assert json.loads(remote.after or "")["outcome"] == "done"


def test_zendesk_down_is_said_plainly_and_the_local_erasure_stands(ivr, db, rules, monkeypatch):
    standin = ZendeskStandIn()
    with serving(standin) as url:
        standin.add_user("Cliente", CALLER)
        monkeypatch.setenv("IVR_TICKET_STORE", "zendesk")
        monkeypatch.setenv("ZENDESK_URL", url)
        monkeypatch.setenv("ZENDESK_EMAIL", standin.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", standin.token)
        a_caller_s_history(db, CALLER, 1, rules, store="zendesk")
        standin.faults.arm("503", times=5)
        said = ivr("privacy", "forget", CALLER, "--yes", code=1)
    assert "zendesk fora do ar" in said and "repita o comando" in said
    assert standin.purged == []
    assert json.loads(ivr("privacy", "export", CALLER))["calls"] == []
    with Session(db) as session:
        remote = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy.remote_redaction")
        ).one()
    assert json.loads(remote.after or "")["outcome"] == "failed"


@pytest.mark.parametrize(
    "store",
    [
        TomTicketStore("token", "1", None),  # type: ignore[arg-type]
        WebhookStore("http://127.0.0.1:9", "secret", None),  # type: ignore[arg-type]
    ],
    ids=["tomticket", "webhook"],
)
def test_stores_without_erasure_say_so_without_calling(store):
    with pytest.raises(RedactionUnsupported, match="exclu"):
        store.redact_requester(CALLER)


def test_a_number_that_is_no_number_is_refused(ivr):
    said = ivr("privacy", "forget", "12", "--yes", code=2)
    assert "não é um número de telefone válido" in said


def test_survey_answers_are_exported_with_their_call_and_forgotten_with_it(ivr, db, rules):
    a_caller_s_history(db, CALLER, 1, rules)
    a_caller_s_history(db, OTHER, 2, rules)
    with Session(db) as session:
        for sid, comment in (("CA1in", "a atendente resolveu rápido"), ("CA2in", "demorou")):
            session.add(SurveyAnswerRecord(call_sid=sid, step=5, at=T0, line="erp", rating=4))
            session.add(SurveyAnswerRecord(call_sid=sid, step=6, at=T0, comment=comment))
        session.commit()

    exported = json.loads(ivr("privacy", "export", CALLER))["survey_answers"]
    assert [(a["call_sid"], a["rating"], a["comment"]) for a in exported] == [
        ("CA1in", 4, None),
        ("CA1in", None, "a atendente resolveu rápido"),
    ]
    ivr("privacy", "forget", CALLER, "--yes")
    assert json.loads(ivr("privacy", "export", CALLER))["survey_answers"] == []
    with Session(db) as session:
        kept = session.scalars(select(SurveyAnswerRecord.comment).order_by(SurveyAnswerRecord.id))
        assert list(kept) == [None, "demorou"]  # the other caller's answers stay


def test_a_number_keyed_in_clear_in_someone_elses_call_is_exported_then_masked(ivr, db):
    """Call logs written before the callback step's keys were stored masked."""
    typed = "+5521987651234"
    with Session(db) as session:
        session.add(
            Call(
                call_sid="CAold",
                from_number=CALLER,
                to_number="+551140040000",
                started_at=T0,
                updated_at=T0,
                steps=[
                    CallStep(step=1, node="menu", digits="3", path=["menu"], at=T0),
                    CallStep(step=2, node="retorno", digits="021987651234#", path=[], at=T0),
                    CallStep(step=3, node="retorno", digits="987651234#", path=[], at=T0),
                ],
            )
        )
        session.commit()
    keyed = json.loads(ivr("privacy", "export", typed))["keyed_in_calls"]
    assert [(k["call_sid"], k["step"]) for k in keyed] == [("CAold", 2), ("CAold", 3)]
    ivr("privacy", "forget", typed, "--yes")
    after = json.loads(ivr("privacy", "export", typed))
    assert not any(value for key, value in after.items() if key != "number")
    (call,) = json.loads(ivr("privacy", "export", CALLER))["calls"]  # the caller's call stays
    assert [s["digits"] for s in call["steps"]] == ["3", "••••••••1234#", "•••••1234#"]
