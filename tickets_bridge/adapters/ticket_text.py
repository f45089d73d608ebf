"""The text a remote help desk's agent reads as a new ticket's first message."""

from __future__ import annotations

from tickets_bridge.store import NewTicket


def ticket_text(ticket: NewTicket) -> str:
    """The caller's words, then what an agent needs beside them (pt-BR labels)."""
    lines = [ticket.description, "", f"Protocolo: {ticket.protocol}"]
    if ticket.line:
        lines.append(f"Linha: {ticket.line}")
    if ticket.topic:
        lines.append(f"Assunto: {ticket.topic}")
    if ticket.platform:
        lines.append(f"Plataforma: {ticket.platform}")
    if ticket.phone:
        lines.append(f"Telefone: {ticket.phone}")
    for attachment in ticket.attachments:
        length = f" ({attachment.duration} s)" if attachment.duration is not None else ""
        label = "Gravação" if attachment.kind == "recording" else "Anexo"
        lines.append(f"{label}: {attachment.url}{length}")
    if ticket.follows:
        lines.append(f"Continuação do protocolo {ticket.follows}")
    return "\n".join(lines)
