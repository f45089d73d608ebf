"""``ivr privacy …``: a caller's requests under the LGPD (access and erasure).

The number is given once, on the command line, and never printed back
except inside the export the caller asked for; the audit log names it only
by a keyed hash.
"""

from __future__ import annotations

import getpass
import json

import click

from hours.clock import utc_now
from ivr.cli.db import configured_session
from ivr.numbers import e164
from ivr.privacy.requests import audit_export, export, forget, is_empty, redact_remote
from ivr.settings import Settings


def _number(text: str) -> str:
    try:
        return e164(text)
    except ValueError:
        raise click.BadParameter(
            "não é um número de telefone válido (ex.: +5511987654321)", param_hint="NUMBER"
        ) from None


@click.group("privacy")
def privacy() -> None:
    """Dados pessoais (LGPD): o que se guarda de um número e como apagá-lo."""


@privacy.command("export")
@click.argument("number")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Arquivo JSON de saída (padrão: a saída padrão).",
)
def export_command(number: str, output: click.utils.LazyFile) -> None:
    """Tudo o que se guarda sobre NUMBER, num documento JSON."""
    phone = _number(number)
    settings = Settings.from_env()
    with configured_session(write=True) as session:
        document = export(session, phone)
        audit_export(
            session, phone, utc_now(), actor=getpass.getuser(), key=settings.keyed_hash_key()
        )
        session.commit()
    json.dump(document, output, ensure_ascii=False, indent=2)
    output.write("\n")
    if is_empty(document):
        click.echo("nada guardado sobre este número", err=True)


@privacy.command("forget")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Não pede confirmação.")
def forget_command(number: str, yes: bool) -> None:
    """Apaga tudo o que se guarda sobre NUMBER e pede o mesmo ao sistema de tickets."""
    phone = _number(number)
    settings = Settings.from_env()
    key = settings.keyed_hash_key()
    actor = getpass.getuser()
    if not yes:
        click.confirm(
            "Apagar ligações, gravações, retornos e tickets deste número? Não há como desfazer",
            abort=True,
        )
    with configured_session(write=True) as session:
        done = forget(session, phone, utc_now(), actor=actor, key=key)
        session.commit()
    click.echo(
        f"apagados: {done.calls} ligação(ões), {done.callbacks} retorno(s) "
        f"({done.cancelled_callbacks} cancelado(s)), {done.tickets} ticket(s)"
    )
    if settings.ticket_store == "sql":
        return
    from tickets_bridge.stores import make_remote_store

    try:
        store = make_remote_store(settings.ticket_store)
    except ValueError as exc:  # a setting of the store is missing
        raise click.ClickException(
            f"{settings.ticket_store}: exclusão remota não pedida: {exc}"
        ) from None
    with configured_session(write=True) as session:
        remote = redact_remote(
            session, settings.ticket_store, store, phone, utc_now(), actor=actor, key=key
        )
        session.commit()
    if remote.outcome == "done":
        click.echo(remote.detail)
        return
    # The local erasure stands; the remote one is still owed: say so, and fail.
    hint = "" if remote.outcome == "unsupported" else " (repita o comando quando voltar)"
    raise click.ClickException(f"{settings.ticket_store}: {remote.detail}{hint}")
