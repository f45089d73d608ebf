"""``ivr menus …``: validate, publish, export and list menu versions."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import click

from hours.clock import utc_now
from hours.schedule import DEFAULT_TIMEZONE
from ivr.cli.db import configured_session
from ivr.menus.loader import MenuInvalid, MenuProblem, check_menu, load_menu, read_menu_file
from ivr.settings import Settings
from ivr.storage.menu_versions import live_text


@click.group()
def menus() -> None:
    """Menus: validar, publicar, promover, exportar, listar versões, desenhar, testar."""


@menus.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Verifica FILE e lista cada problema como FILE:LINHA:COLUNA: caminho: mensagem."""
    try:
        problems = check_menu(read_menu_file(file), str(file))
    except MenuInvalid as invalid:
        problems = invalid.problems
    for problem in problems:
        click.echo(str(problem))
    if any(p.severity == "error" for p in problems):
        sys.exit(1)
    if not problems:
        click.echo(f"{file}: ok")


def _test_numbers(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[str]:
    from ivr.numbers import e164

    numbers = []
    for value in values:
        try:
            numbers.append(e164(value))
        except ValueError:
            raise click.BadParameter(f"número de telefone inválido: {value!r}") from None
    return numbers


@menus.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--author", default=None, help="Quem publica (padrão: o usuário do sistema).")
@click.option("--draft", is_flag=True, help="Só quem liga dos --test-number ouve FILE.")
@click.option(
    "--test-number",
    "test_numbers",
    multiple=True,
    callback=_test_numbers,
    help="Um telefone que ouve o rascunho (repetível), ex.: (11) 91111-2222.",
)
@click.option("--force", is_flag=True, help="Publica mesmo com avisos do verificador.")
def publish(
    file: Path, author: str | None, draft: bool, test_numbers: list[str], force: bool
) -> None:
    """Valida FILE e o coloca no ar para as novas ligações (ou como rascunho).

    Erros sempre barram o arquivo; avisos também, a menos que se use --force.
    """
    from ivr.storage import menu_versions

    if draft != bool(test_numbers):
        raise click.UsageError("--draft e --test-number vão juntos")
    try:
        text = read_menu_file(file)
    except MenuInvalid as invalid:
        _refuse(invalid.problems)
    problems = check_menu(text, str(file))
    if any(p.severity == "error" for p in problems):
        _refuse(problems)
    if problems and not force:
        _refuse(
            problems,
            f"{len(problems)} aviso(s): nada foi publicado. Corrija o menu ou, "
            "se os avisos forem intencionais, publique com --force.",
        )
    for problem in problems:
        click.echo(str(problem))
    who = author or getpass.getuser()
    with configured_session(write=True) as session:
        try:
            validate = lambda content: load_menu(content, str(file))  # noqa: E731
            if draft:
                version = menu_versions.publish_draft(
                    session, text, who, utc_now(), test_numbers, validate=validate
                )
            else:
                version = menu_versions.publish(session, text, who, utc_now(), validate=validate)
        except MenuInvalid as invalid:
            _refuse(invalid.problems)
        session.commit()
        if draft:
            numbers = ", ".join(test_numbers)
            click.echo(f"rascunho publicado como versão {version.id} para {numbers}")
        else:
            click.echo(f"versão {version.id} publicada ({version.content_hash[:12]})")


def _refuse(problems: list[MenuProblem], why: str | None = None) -> NoReturn:
    """Print every problem and why nothing was published, then exit 1."""
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    click.echo(why or f"{errors} erro(s): nada foi publicado; a versão no ar continua valendo.")
    raise SystemExit(1)


@menus.command()
@click.option("--author", default=None, help="Quem promove (padrão: o usuário do sistema).")
def promote(author: str | None) -> None:
    """Coloca no ar, para todos, o rascunho que os números de teste ouviram."""
    from ivr.storage import menu_versions

    with configured_session(write=True) as session:
        try:
            version = menu_versions.promote(session, author or getpass.getuser(), utc_now())
        except LookupError:
            raise click.ClickException("não há rascunho para promover") from None
        session.commit()
        click.echo(f"rascunho promovido: a versão {version.id} está no ar")


@menus.command()
@click.option("--version", "version_id", type=int, default=None, help="Padrão: a versão no ar.")
def export(version_id: int | None) -> None:
    """Mostra o YAML de uma versão publicada."""
    from ivr.storage import menu_versions

    with configured_session(write=True) as session:
        version = (
            menu_versions.get(session, version_id)
            if version_id is not None
            else menu_versions.latest(session)
        )
        if version is None:
            raise click.ClickException("essa versão não existe")
        click.echo(version.content, nl=False)


_STATUS = {"draft": "rascunho", "retired": "rascunho encerrado"}


@menus.command()
def versions() -> None:
    """Lista as versões, da mais nova à mais antiga, marcando a que está no ar e o
    rascunho; horários no fuso da linha (o da agenda padrão)."""
    from ivr.storage import menu_versions

    with configured_session(write=True) as session:
        listed = menu_versions.list_versions(session)
        live = menu_versions.latest(session)
        zone = _line_zone(live.content if live is not None else None)
        if not listed:
            click.echo("nenhuma versão publicada: ivr menus publish ARQUIVO")
        for version in listed:
            stamp = version.created_at.astimezone(zone).isoformat(timespec="seconds")
            if live is not None and version.id == live.id:
                mark = "  [no ar]"
            elif version.status in _STATUS:
                mark = f"  [{_STATUS[version.status]}]"
            else:
                mark = ""
            click.echo(
                f"{version.id:>5}  {stamp}  {version.author:<16} {version.content_hash[:12]}{mark}"
            )


def _line_zone(content: str | None) -> ZoneInfo:
    """The time zone callers of this menu live in: its default schedule's."""
    if content is not None:
        try:
            return load_menu(content).hours().calendar().tz
        except MenuInvalid:  # stored versions were valid when published
            pass
    return ZoneInfo(DEFAULT_TIMEZONE)


# ----------------------------------------------------------------------------- ivr menus graph

_GRAPH_SUFFIXES = {".svg": "svg", ".png": "png", ".mmd": "mermaid", ".dot": "dot", ".gv": "dot"}


@menus.command()
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png", "mermaid", "dot"]),
    default=None,
    help="Padrão: pela extensão de --output (.svg .png .mmd .dot); senão, svg.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Grava neste arquivo em vez da saída padrão.",
)
def graph(file: Path | None, fmt: str | None, output: Path | None) -> None:
    """Desenha o grafo do menu FILE (padrão: a versão no ar; senão, IVR_MENUS).

    SVG e PNG precisam do `dot` do Graphviz (apt-get install graphviz);
    Mermaid e DOT (texto) não precisam de nada.
    """
    from ivr.menus.graph import (
        GraphvizFailed,
        GraphvizMissing,
        menu_graph,
        render,
        to_dot,
        to_mermaid,
    )

    if fmt is None:
        fmt = _GRAPH_SUFFIXES.get(output.suffix.lower(), "svg") if output is not None else "svg"
    if fmt == "png" and output is None and sys.stdout.isatty():
        raise click.UsageError("PNG é binário: use --output ARQUIVO.png (ou redirecione a saída)")
    source = None if file is not None else live_text(Settings.from_env().database_url)
    try:
        if source is None:
            path = file if file is not None else Path(Settings.from_env().menus_path)
            if not path.is_file():
                raise click.ClickException(f"nenhuma versão publicada e nenhum menu em {path}")
            source = read_menu_file(path), str(path)
        text, name = source
        click.echo(f"desenhando {name}", err=True)
        menu = load_menu(text, name)
    except MenuInvalid as invalid:
        for problem in invalid.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None

    drawn = menu_graph(menu)
    if fmt == "mermaid":
        data = to_mermaid(drawn).encode("utf-8")
    elif fmt == "dot":
        data = to_dot(drawn).encode("utf-8")
    else:
        try:
            data = render(to_dot(drawn), "png" if fmt == "png" else "svg")
        except (GraphvizMissing, GraphvizFailed) as exc:
            raise click.ClickException(str(exc)) from None
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream
    else:
        output.write_bytes(data)
        click.echo(f"gravado em {output}", err=True)
