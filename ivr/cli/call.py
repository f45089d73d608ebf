"""``ivr call``: hear what a caller would hear, scripted or at the keyboard."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click
import httpx

from hours.clock import SettableClock
from ivr.app import close_app
from ivr.cli.params import Instant
from ivr.menus.loader import MenuInvalid, read_menu_file
from ivr.settings import Settings
from ivr.simulator import Answer, InProcess, Phone, Remote, Transcript
from ivr.simulator.sandbox import sandbox_app
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

    def __call__(self, heard: list[str]) -> Answer:
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
@click.option("--digits", default=None, help='Keys for each menu, e.g. "2 1 #"; "-" is silence.')
@click.option("--speech", multiple=True, help="A spoken answer (before the digits).")
@click.option(
    "--at",
    "at",
    type=Instant(),
    default=None,
    help="Run the call at this instant; without an offset, São Paulo time.",
)
@click.option("--from", "caller", default="+5511987654321", show_default=True)
@click.option("--to", "called", default="+551130040000", show_default=True)
@click.option(
    "--menu",
    "menu_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Try an unpublished menu file.",
)
@click.option(
    "--url", default=None, help="Call a running server instead, e.g. http://127.0.0.1:5000"
)
@click.option("--no-answer", is_flag=True, help="Agents never pick up.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole transcript as JSON.")
def call(digits, speech, at, caller, called, menu_file, url, no_answer, as_json) -> None:
    """Simulate a call: Twilio's requests, signed, and the TwiML followed."""
    settings = Settings.from_env().with_local_secrets()
    instant = at
    tokens = [f"s:{text}" for text in speech] + (digits.split() if digits else [])
    interactive = not tokens and digits is None and sys.stdin.isatty() and not as_json
    keyboard = Keyboard()
    answers = keyboard if interactive else [Answer.parse(token) for token in tokens]

    with tempfile.TemporaryDirectory() as workdir:
        if url:
            if instant or menu_file:
                raise click.UsageError("--at and --menu work in-process only (without --url)")
            transport = Remote(url)
        else:
            try:
                text, name = (
                    (read_menu_file(menu_file), str(menu_file))
                    if menu_file
                    else live_or_file(settings.database_url, settings.menus_path)
                )
                app = sandbox_app(settings, text, Path(workdir), SettableClock(instant), name)
            except MenuInvalid as invalid:
                for problem in invalid.problems:
                    click.echo(str(problem), err=True)
                sys.exit(1)
            transport = InProcess(app)
        phone = Phone(
            transport,
            settings.twilio_auth_token,
            caller=caller,
            called=called,
            agents_answer=not no_answer,
        )
        try:
            transcript = phone.call(answers)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"could not call {url}: {exc}") from None
        finally:
            if url:
                transport.close()
            else:
                close_app(app)

    if as_json:
        click.echo(json.dumps(transcript.as_dict(), ensure_ascii=False, indent=2))
    elif not interactive:
        print_turns(transcript)
    else:
        keyboard.finish(transcript)
        click.echo(f"fim da ligação: {transcript.ended}")
    if transcript.ended.startswith("http-"):
        sys.exit(1)
