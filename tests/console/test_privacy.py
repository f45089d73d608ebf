"""The console's answer to a caller's LGPD request: export and forget, supervisors only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hours.oracle import Hours
from ivr.app import close_app, create_app
from ivr.privacy.requests import number_hash
from ivr.storage.db import make_engine
from ivr.storage.models import AuditEntry, Call, Callback, TicketRecord
from tests.cli.test_privacy import CALLER, OTHER, a_caller_s_history
from tests.console.conftest import log_in, token_from
from tests.tickets_bridge.standins.server import serving
from tests.tickets_bridge.standins.zendesk import ZendeskStandIn
from tests.web.conftest import OPEN_INSTANT
from tickets_bridge.intake import TicketRequest, record_message, record_ticket
from tickets_bridge.sql_store import TicketRules

SECRET = "console-test-secret"  # the console fixtures' IVR_SECRET_KEY


@pytest.fixture(scope="module")
def rules() -> TicketRules:
    return TicketRules(hours=Hours.from_config(None))


@pytest.fixture
def db(app, settings) -> Engine:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def two_callers(db, rules) -> None:
    a_caller_s_history(db, CALLER, 1, rules)
    a_caller_s_history(db, OTHER, 2, rules)


def post(client, path: str, **form: str):
    return client.post(path, data=form | {"csrf_token": token_from(client, "/admin/privacy")})


def audit_entries(db: Engine) -> list[AuditEntry]:
    with Session(db) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def numbers_kept(db: Engine) -> set[str]:
    with Session(db) as session:
        return (
            set(session.scalars(select(Call.from_number)))
            | set(session.scalars(select(Callback.number)))
            | set(session.scalars(select(TicketRecord.phone)))
        )


def test_a_supervisor_downloads_everything_about_a_number_as_typed(supervisor, db, two_callers):
    page = supervisor.get("/admin/privacy").get_data(as_text=True)
    assert "Dados pessoais (LGPD)" in page and 'name="number"' in page
    response = post(supervisor, "/admin/privacy/export", number="(11) 91234-4321")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "4321" not in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    assert document["number"] == CALLER
    assert [c["call_sid"] for c in document["calls"]] == ["CA1in", "CA1out"]
    assert [c["protocol"] for c in document["callbacks"]] == ["R1"]
    assert len(document["tickets"]) == 1
    [entry] = audit_entries(db)
    assert (entry.actor, entry.action) == ("ana", "privacy.export")
    assert entry.target == number_hash(CALLER, SECRET)  # the command line's hash, same key


def test_forget_asks_first_then_erases_the_caller_and_nobody_else(supervisor, db, two_callers):
    asked = post(supervisor, "/admin/privacy/forget", number="+55 11 91234-4321")
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Confirmar a exclusão" in page and "Apagar definitivamente" in page
    assert "2 ligação(ões)" in page and "1 ainda agendado(s)" in page
    assert numbers_kept(db) == {CALLER, OTHER, "+551140040000"}  # nothing gone yet
    assert audit_entries(db) == []

    done = post(supervisor, "/admin/privacy/forget", number=CALLER, confirm="1")
    assert done.status_code == 302 and done.headers["Location"] == "/admin/privacy"
    said = supervisor.get("/admin/privacy").get_data(as_text=True)
    assert "Apagados: 2 ligação(ões), 1 retorno(s) (1 cancelado(s)), 1 chamado(s)." in said
    assert CALLER not in numbers_kept(db) and OTHER in numbers_kept(db)
    again = post(supervisor, "/admin/privacy/export", number=CALLER)
    assert json.loads(again.get_data(as_text=True))["calls"] == []
    forgotten = [e for e in audit_entries(db) if e.action == "privacy.forget"]
    assert [e.target for e in forgotten] == [number_hash(CALLER, SECRET)]
    assert json.loads(forgotten[0].after or "")["calls"] == 2
    assert all("4321" not in f"{e.target} {e.before} {e.after}" for e in audit_entries(db))


def test_a_number_that_is_no_number_is_refused_and_nothing_is_done(supervisor, db, two_callers):
    for path in ("/admin/privacy/export", "/admin/privacy/forget"):
        response = post(supervisor, path, number="12345", confirm="1")
        assert response.status_code == 400
        assert "Não é um número de telefone válido" in response.get_data(as_text=True)
    assert audit_entries(db) == []
    assert CALLER in numbers_kept(db)


def test_viewers_neither_see_nor_use_the_requests(app, viewer, db, two_callers):
    assert "Dados pessoais" not in viewer.get("/admin/").get_data(as_text=True)
    assert viewer.get("/admin/privacy").status_code == 403
    token = token_from(viewer)
    for path in ("/admin/privacy/export", "/admin/privacy/forget"):
        response = viewer.post(path, data={"number": CALLER, "confirm": "1", "csrf_token": token})
        assert response.status_code == 403
        assert "Só supervisores" in response.get_data(as_text=True)
    assert audit_entries(db) == []
    assert CALLER in numbers_kept(db)


def test_without_a_session_or_a_csrf_token_nothing_is_done(app, supervisor, db, two_callers):
    anonymous = app.test_client()
    assert anonymous.get("/admin/privacy").status_code == 302
    assert anonymous.post("/admin/privacy/forget", data={"number": CALLER}).status_code == 400
    forged = {"number": CALLER, "confirm": "1", "csrf_token": "forged"}
    assert supervisor.post("/admin/privacy/forget", data=forged).status_code == 400
    assert CALLER in numbers_kept(db)


def test_forget_asks_zendesk_to_delete_the_caller(app, settings, clock, db, rules, monkeypatch):
    standin = ZendeskStandIn()
    with serving(standin) as url:
        monkeypatch.setenv("ZENDESK_URL", url)
        monkeypatch.setenv("ZENDESK_EMAIL", standin.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", standin.token)
        caller_user = standin.add_user("Cliente", CALLER)
        other_user = standin.add_user("Outro cliente", OTHER)
        a_caller_s_history(db, CALLER, 1, rules, store="zendesk")
        zendesk_app = create_app(
            settings.model_copy(update={"ticket_store": "zendesk"}),
            clock=clock,
            start_background=False,
        )
        try:
            client = zendesk_app.test_client()
            assert log_in(client, "ana").status_code == 302
            post(client, "/admin/privacy/forget", number=CALLER, confirm="1")
            said = client.get("/admin/privacy").get_data(as_text=True)
        finally:
            close_app(zendesk_app)
    assert "1 usuário(s) excluído(s) em zendesk" in said
    assert standin.purged == [caller_user]
    assert list(standin.users) == [other_user]
    actions = [e.action for e in audit_entries(db)]
    assert actions == ["privacy.forget", "privacy.remote_redaction"]


def test_viewers_read_messages_with_the_numbers_in_them_masked(app, viewer, supervisor, db, rules):
    """A caller's message says where to call back: viewers see only its last digits."""
    protocol = record_ticket(
        db,
        TicketRequest(
            "Recado por telefone",
            "Ligue no (11) 98765-4321 depois das 14h, protocolo anterior 261201000010.",
            line="erp",
            phone=CALLER,
        ),
        key="masking",
        now=OPEN_INSTANT,
        store="sql",
        rules=rules,
    ).protocol
    record_message(
        db,
        protocol,
        TicketRequest("Recado", "Ou no 21 3003-4000", line="erp", phone=CALLER),
        key="masking:2",
        now=OPEN_INSTANT,
        rules=rules,
    )
    seen = viewer.get(f"/admin/tickets/{protocol}").get_data(as_text=True)
    assert "Ligue no +55 •• ••••-4321 depois das 14h, protocolo anterior 261201000010." in seen
    assert "Ou no +55 •• ••••-4000" in seen
    assert "98765" not in seen and "3003" not in seen and "91234" not in seen
    read = supervisor.get(f"/admin/tickets/{protocol}").get_data(as_text=True)
    assert "Ligue no (11) 98765-4321" in read and "Ou no 21 3003-4000" in read
