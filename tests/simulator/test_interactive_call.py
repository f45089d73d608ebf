"""``ivr call`` at a terminal: each menu is read before the caller is asked for keys."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IVR = Path(sys.executable).with_name("ivr")
PROMPT = b"teclas (Enter = sil\xc3\xaancio, s:texto = fala):"
TIMEOUT = 30.0

pytestmark = pytest.mark.skipif(not IVR.is_file(), reason=f"no ivr script beside {sys.executable}")


class Terminal:
    """A child process on a pseudo-terminal: read what it prints, type lines to it."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.fd, child_fd = pty.openpty()
        try:
            self.process = subprocess.Popen(
                args,
                stdin=child_fd,
                stdout=child_fd,
                stderr=child_fd,
                cwd=cwd,
                env=env,
                start_new_session=True,  # its own session: the pty becomes its terminal
            )
        finally:
            os.close(child_fd)
        self.output = b""
        self.deadline = time.monotonic() + TIMEOUT

    def _read_some(self) -> bool:
        """Read what is there within the time left; False at end of output."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"ivr call took too long; so far:\n{self.text}")
        ready, _, _ = select.select([self.fd], [], [], remaining)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed its side of the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def expect(self, marker: bytes, count: int) -> None:
        """Read until ``marker`` has appeared ``count`` times."""
        while self.output.count(marker) < count:
            if not self._read_some():
                raise AssertionError(f"output ended before {marker!r} #{count}:\n{self.text}")

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def finish(self) -> int:
        """Read to the end of output; the exit code."""
        while self._read_some():
            pass
        return self.process.wait(max(0.1, self.deadline - time.monotonic()))

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        os.close(self.fd)

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def terminal_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_"))}
    return env | {
        "TWILIO_AUTH_TOKEN": "interactive-test-token",
        "IVR_DATABASE_URL": f"sqlite:///{tmp_path}/ivr.db",
        "IVR_MENUS": str(ROOT / "menus.yaml"),
        "TERM": "dumb",
    }


def typed_call(keys: tuple[str, ...], tmp_path, env) -> tuple[int, str]:
    """`ivr call` at a terminal, typing ``keys`` at its prompts: (exit code, screen text)."""
    terminal = Terminal([str(IVR), "call", "--at", "2026-11-24T10:00-03:00"], tmp_path, env)
    try:
        for count, key in enumerate(keys, start=1):
            terminal.expect(PROMPT, count)
            terminal.type(key)
        code = terminal.finish()
    finally:
        terminal.close()
    return code, terminal.text


def test_keys_typed_at_the_terminal_walk_the_menus_to_a_transfer(tmp_path, terminal_env):
    code, text = typed_call(("2", "1", "1", "4", ""), tmp_path, terminal_env)
    assert code == 0, text
    # Each menu is read before its prompt, once, in the order of the call.
    menus = ["Para escolher o seu produto", "Para ERP Retaguarda", "Você escolheu ERP Retaguarda"]
    prompts = [index for index in range(len(text)) if text.startswith("  teclas (", index)]
    places = [text.index(menu) for menu in menus]
    assert len(prompts) == 5
    assert places[0] < prompts[0] < places[1] < prompts[1] < places[2] < prompts[2]
    assert all(text.count(menu) == 1 for menu in menus), text
    # After the agent hangs up: the transfer, then the survey, then the goodbye.
    transfer = text.index("[transferência: queue:suporte-erp]")
    survey = text.index("que nota você dá")
    assert prompts[2] < transfer < survey < prompts[3]
    assert "Obrigado pela sua avaliação" in text.split("teclas")[-1]
    assert text.rstrip().endswith("fim da ligação: transferred")
    # and, before anything is heard, which menu plays: the menu file, nothing published
    assert text.lstrip().startswith(f"menu: {ROOT / 'menus.yaml'}\n")


def test_after_a_silence_the_apology_is_read_before_the_next_prompt(tmp_path, terminal_env):
    code, text = typed_call(("", "1"), tmp_path, terminal_env)
    assert code == 0, text
    _before, second, after = text.split("teclas (")
    assert "não recebemos" in second and "Para escolher o seu produto" in second
    assert "não recebemos" not in after
    assert "queue:suporte-urgente" in after
