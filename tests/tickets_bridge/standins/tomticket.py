"""A TomTicket API v2.0 stand-in: the calls the adapter makes.

Follows TomTicket's KB (tomticket.tomticket.com/kb) where it is official:
Bearer token, form-encoded bodies, JSON answers with ``error`` and
``message``, ``customer/new`` and ``customer/details``, ``ticket/list`` (50 a
page, ``customer_id`` with ``customer_type_id``), situation codes 0-11. For
``ticket/new``, ``ticket/detail`` and ``ticket/reply/customer`` it follows
what independent integrations agree on; where the create answer carries the
ticket id is unknown, so ``new_ticket_shape`` picks one of the shapes they
probe ("none" hides it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from tests.tickets_bridge.standins.server import StandIn, json_response

NewTicketShape = Literal["data.ticket_id", "data.id", "ticket_id", "id", "none"]
PAGE_SIZE = 50
SITUATIONS = {
    0: "Aguardando interação do atendente",
    1: "Não iniciada",
    2: "Respondido, aguardando resposta do cliente",
    3: "Respondido pelo cliente, aguardando resposta",
    4: "Cancelada",
    5: "Finalizada",
}
PATH = "/v2.0/"


def _now() -> str:
    return datetime.now(ZoneInfo("America/Sao_Paulo")).isoformat(timespec="seconds")


def _error(message: str, status: int = 200) -> Response:
    return json_response({"error": True, "message": message}, status)


class TomTicketStandIn(StandIn):
    def __init__(self, token: str = "tt-token", departments: tuple[str, ...] = ("dep1", "dep2")):
        super().__init__()
        self.token = token
        self.departments = departments
        self.customers: dict[str, dict[str, Any]] = {}
        self.tickets: dict[str, dict[str, Any]] = {}  # in creation order
        self.replies: dict[str, list[str]] = {}
        self.new_ticket_shape: NewTicketShape = "data.ticket_id"
        self.refusal_suffix = ""  # help desks echo what they were sent in their errors
        self._protocol = 0

    # -- what a test may do as the help desk's agents ---------------------------

    def set_situation(self, ticket_id: str, code: int) -> None:
        with self.lock:
            ticket = self.tickets[ticket_id]
            ticket["situation"] = {
                "id": code,
                "description": SITUATIONS.get(code, "?"),
                "apply_date": _now(),
            }
            if code in (4, 5):
                ticket["end_date"] = _now()

    def add_ticket(self, customer_id: str, subject: str) -> str:
        """A ticket an agent opened for the customer by hand."""
        with self.lock:
            form = {"customer_id": customer_id, "customer_id_type": "I", "subject": subject}
            form |= {"message": "Aberto pelo atendente.", "department_id": self.departments[0]}
            self._new_ticket(form)
            return next(reversed(self.tickets))

    # -- the API ---------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error("Token de acesso inválido.", 401)
        route = (request.method, request.path.removeprefix(PATH))
        if request.method == "POST" and request.mimetype not in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            return _error("Envie os dados como formulário.", 400)
        if route == ("GET", "customer/details"):
            customer = self._customer(request.args)
            if customer is None:
                return _error("Cliente não encontrado.")
            return json_response({"error": False, "data": customer})
        if route == ("POST", "customer/new"):
            return self._new_customer(request.form)
        if route == ("POST", "ticket/new"):
            return self._new_ticket(request.form)
        if route == ("GET", "ticket/detail"):
            ticket = self.tickets.get(request.args.get("ticket_id", ""))
            if ticket is None:
                return _error("Chamado não encontrado.")
            return json_response({"error": False, "data": ticket})
        if route == ("GET", "ticket/list"):
            return self._list(request.args)
        if route == ("POST", "ticket/reply/customer"):
            ticket = self.tickets.get(request.form.get("ticket_id", ""))
            if ticket is None:
                return _error("Chamado não encontrado.")
            if ticket["situation"]["id"] in (4, 5):
                return _error("Este chamado já foi encerrado.")
            if not request.form.get("message"):
                return _error("Informe a mensagem.")
            self.replies[ticket["id"]].append(request.form["message"])
            return json_response({"error": False, "message": "Resposta enviada com sucesso."})
        return _error("Endpoint não encontrado.", 404)

    def _customer(self, args: Any, type_key: str = "customer_id_type") -> dict[str, Any] | None:
        wanted = args.get("customer_id", "")
        if args.get(type_key, "I") == "E":
            return next((c for c in self.customers.values() if c["email"] == wanted), None)
        return self.customers.get(wanted)

    def _new_customer(self, form: Any) -> Response:
        customer_id, name = form.get("customer_id", ""), form.get("name", "")
        if not customer_id or not name or len(customer_id) > 250:
            return _error("Os campos customer_id e name são obrigatórios.")
        if len(form.get("phone", "")) > 20:
            return _error("O telefone deve ter no máximo 20 caracteres.")
        if customer_id in self.customers:
            return _error("Já existe um cliente com este identificador.")
        self.customers[customer_id] = {
            "id": uuid.uuid4().hex,
            "internal_id": customer_id,
            "name": name,
            "email": form.get("email") or None,
            "phone": form.get("phone") or None,
        }
        return json_response({"error": False, "message": "Cliente cadastrado com sucesso."})

    def _new_ticket(self, form: Any) -> Response:
        customer = self._customer(form)
        if customer is None:
            return _error("Cliente não encontrado.")
        if form.get("department_id") not in self.departments:
            return _error("Departamento inválido." + self.refusal_suffix)
        if not form.get("subject") or not form.get("message"):
            return _error("Informe o assunto e a mensagem.")
        if form.get("priority", "2") not in ("1", "2", "3", "4"):
            return _error("Prioridade inválida.")
        self._protocol += 1
        ticket_id = uuid.uuid4().hex
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "protocol": self._protocol,
            "subject": form["subject"],
            "message": form["message"],
            "priority": int(form.get("priority", "2")),
            "creation_date": _now(),
            "end_date": None,
            "customer": {
                "name": customer["name"],
                "internal_id": customer["internal_id"],
                "email": customer["email"],
            },
            "department": {"id": form["department_id"], "name": form["department_id"]},
            "category": {"name": form.get("category_id")},
            "operator": None,
            "situation": {"id": 1, "description": SITUATIONS[1], "apply_date": _now()},
            "sla": {"deadline": {"date": None}},
        }
        self.replies[ticket_id] = []
        body: dict[str, Any] = {"error": False, "message": "Chamado criado com sucesso."}
        match self.new_ticket_shape:
            case "data.ticket_id":
                body["data"] = {"ticket_id": ticket_id, "protocol": self._protocol}
            case "data.id":
                body["data"] = {"id": ticket_id}
            case "ticket_id":
                body["ticket_id"] = ticket_id
            case "id":
                body["id"] = ticket_id
        return json_response(body)

    def _list(self, args: Any) -> Response:
        customer = self._customer(args, type_key="customer_type_id")
        found = [
            t
            for t in self.tickets.values()
            if customer is not None and t["customer"]["internal_id"] == customer["internal_id"]
        ]
        if args.get("department_id"):
            found = [t for t in found if t["department"]["id"] == args["department_id"]]
        if args.get("situation"):
            codes = {int(c) for c in args["situation"].split(",")}
            found = [t for t in found if t["situation"]["id"] in codes]
        found.reverse()  # newest first
        page = int(args.get("page", "1"))
        pages = max(1, -(-len(found) // PAGE_SIZE))
        items = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return json_response({"error": False, "data": items, "pages": pages, "total": len(found)})
