"""``ivr call``: hear what a caller would hear, scripted or at the keyboard."""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import click
import httpx

from hours.clock import SettableClock
from ivr.app import close_app
from ivr.cli.params import Instant
from ivr.menus.loader import MenuInvalid, read_menu_file
from ivr.settings import Settings
from ivr.simulator import Answer, InProcess, Phone, Remote, Transcript
from ivr.simulator.sandbox import LiveState, read_live_state, sandbox_app
from ivr.storage.menu_versions import live_or_file


def print_turns(transcript: Transcript) -> None:
    for turn in transcript.turns:
        for text in turn.heard:
            click.echo(f"  🔊 {text}")
        if turn.answer is not None:
            answer = turn.answer
            shown = answer.get("digits") or answer.get("speech") or "(silêncio)"
            if "recording" in answer:
                shown = f"(recado de {answer['recording']} s)"
            click.echo(f"  ☎ {shown}")
    click.echo(
        f"fim da ligação: {transcript.ended}"
        + (f" → {transcript.transferred_to}" if transcript.transferred_to else "")
    )


class Keyboard:
    """Interactive answers: print what was said since the last question, read a line.

    The phone hands over each turn's own ``heard`` list (a new list per
    webhook request, and it may grow after the question, e.g. after a
    silence), so what was printed is counted per list, not over the call.
    """

    def __init__(self) -> None:
        self._printed: list[tuple[list[str], int]] = []  # (a turn's heard, how much printed)
        self.transcript: Transcript | None = None  # the call being answered, when known

    def __call__(self, heard: list[str]) -> Answer:
        # Every turn in order: a transfer's turn asks nothing, yet comes before the survey.
        for turn in self.transcript.turns if self.transcript is not None else ():
            self._echo(turn.heard)
        self._echo(heard)
        raw = click.prompt(
            "  teclas (Enter = silêncio, s:texto = fala)", default="", show_default=False
        )
        return Answer.parse(raw.strip())

    def finish(self, transcript: Transcript) -> None:
        """Print what the caller heard after the last question."""
        for turn in transcript.turns:
            self._echo(turn.heard)

    def _echo(self, heard: list[str]) -> None:
        """Print the unprinted rest of every list seen so far, ``heard`` last."""
        if not any(seen is heard for seen, _count in self._printed):
            self._printed.append((heard, 0))
        for index, (seen, count) in enumerate(self._printed):
            for text in seen[count:]:
                click.echo(f"  🔊 {text}")
            self._printed[index] = (seen, len(seen))


@click.command()
@click.option(
    "--digits",
    default=None,
    help='As teclas de cada menu, ex.: "2 1 #"; "-" é silêncio; '
    """fala como s:texto, entre aspas quando tem espaços: '1 "s:meu faturamento está parado"'.""",
)
@click.option("--speech", multiple=True, help="Uma resposta falada (antes das teclas).")
@click.option(
    "--at",
    "at",
    type=Instant(),
    default=None,
    help="Faz a ligação neste instante; sem fuso, horário de São Paulo.",
)
@click.option(
    "--from",
    "caller",
    default="+5511987654321",
    show_default=True,
    help="O número de quem liga; um número de teste de um rascunho ouve o rascunho.",
)
@click.option("--to", "called", default="+551130040000", show_default=True)
@click.option(
    "--menu",
    "menu_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Experimenta um arquivo de menu não publicado.",
)
@click.option("--url", default=None, help="Liga para um servidor no ar, ex.: http://127.0.0.1:5000")
@click.option("--no-answer", is_flag=True, help="Nenhum atendente atende.")
@click.option(
    "--queue-position",
    type=click.IntRange(1, 99),
    default=1,
    show_default=True,
    help="O lugar na fila ao entrar nela (um lugar mais perto a cada aviso).",
)
@click.option(
    "--agent-after",
    type=click.IntRange(0, 30),
    default=0,
    show_default=True,
    help="Quantos avisos do lugar na fila antes de um atendente atender (0: na hora).",
)
@click.option(
    "--queue-key",
    default=None,
    help="Uma tecla digitada no primeiro aviso da fila (1: o retorno que guarda o lugar).",
)
@click.option(
    "--replay",
    is_flag=True,
    help="Envia cada resposta duas vezes, como o Twilio faz quando repete um pedido.",
)
@click.option("--json", "as_json", is_flag=True, help="A ligação inteira em JSON.")
def call(
    digits,
    speech,
    at,
    caller,
    called,
    menu_file,
    url,
    no_answer,
    queue_position,
    agent_after,
    queue_key,
    replay,
    as_json,
) -> None:
    """Simula uma ligação: os pedidos do Twilio, assinados, e o TwiML seguido.

    Sem --url, a ligação ouve o que quem liga ouviria: a versão no ar (ou o
    rascunho, quando --from é um dos seus números de teste) e os fechamentos de
    emergência guardados no banco, numa cópia temporária do banco, descartada no fim.

    Numa fila, --agent-after N toca N avisos de espera (quem liga começa na
    posição --queue-position e sobe um lugar a cada aviso) antes de um
    atendente atender; quando o atendente desliga, vem o que se segue, no
    menu de exemplo a pesquisa de satisfação.
    """
    settings = Settings.from_env().with_local_secrets()
    instant = at
    caller = _e164_or_as_given(caller)
    try:
        keys = shlex.split(digits) if digits else []
    except ValueError as exc:  # an unclosed quote
        raise click.BadParameter(f"{exc}: feche as aspas", param_hint="--digits") from None
    tokens = [f"s:{text}" for text in speech] + keys
    interactive = not tokens and digits is None and sys.stdin.isatty() and not as_json
    keyboard = Keyboard()
    answers = keyboard if interactive else [Answer.parse(token) for token in tokens]

    with tempfile.TemporaryDirectory() as workdir:
        if url:
            if instant or menu_file:
                raise click.UsageError("--at e --menu só valem sem --url (ligação local)")
            transport = Remote(url)
            heard_from = {"menu": url}
        else:
            live = read_live_state(settings.database_url)
            try:
                if menu_file:  # the file is tried by every caller: no draft
                    text, name = read_menu_file(menu_file), str(menu_file)
                    live = LiveState(live.closures)
                else:
                    text, name = live_or_file(settings.database_url, settings.menus_path)
                clock = SettableClock(instant)
                app = sandbox_app(settings, text, Path(workdir), clock, name, live)
            except MenuInvalid as invalid:
                for problem in invalid.problems:
                    click.echo(str(problem), err=True)
                sys.exit(1)
            transport = InProcess(app)
            heard_from = _heard_from(name, live, caller, clock())
        phone = Phone(
            transport,
            settings.twilio_auth_token,
            caller=caller,
            called=called,
            agents_answer=not no_answer,
            queue_position=queue_position,
            agent_after=agent_after,
            queue_key=queue_key,
            replay=replay,
        )
        if interactive:  # before the first prompt: which menu and closures are heard
            click.echo(_said(heard_from))
        keyboard.transcript = Transcript(call_sid="CA" + uuid.uuid4().hex)
        try:
            transcript = phone.call(answers, transcript=keyboard.transcript)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"não foi possível ligar para {url}: {exc}") from None
        finally:
            if url:
                transport.close()
            else:
                close_app(app)

    if as_json:
        data = heard_from | transcript.as_dict()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif not interactive:
        click.echo(_said(heard_from))
        print_turns(transcript)
    else:
        keyboard.finish(transcript)
        click.echo(f"fim da ligação: {transcript.ended}")
    if transcript.ended.startswith("http-"):
        sys.exit(1)


def _e164_or_as_given(number: str) -> str:
    """Test numbers are stored in E.164: "(11) 91111-2222" must find them too."""
    from ivr.numbers import e164

    try:
        return e164(number)
    except ValueError:
        return number  # "anonymous" and the like are callers too


def _heard_from(source: str, live: LiveState, caller: str, now: datetime) -> dict[str, object]:
    """What the call plays, for the transcript: which version, which closures in force."""
    if live.draft is not None and live.hears_draft(caller):
        source = f"rascunho (versão {live.draft.version}), para o número de teste {caller}"
    in_force = [
        c.message for c in live.closures if c.start <= now and (c.end is None or now < c.end)
    ]
    return {"menu": source, "emergency_closures": in_force}


def _said(heard_from: dict[str, object]) -> str:
    said = f"menu: {heard_from['menu']}"
    for message in heard_from.get("emergency_closures") or ():
        said += f"\nfechamento de emergência em vigor: {message}"
    return said
