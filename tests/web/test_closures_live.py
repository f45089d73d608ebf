"""An emergency closure reaches a separately running server within 5 seconds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.simulator import Answer, Phone, Remote

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "live-closure-token"
MESSAGE = "Estamos com uma instabilidade no sistema telefônico."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(database_url, tmp_path):
    port = free_port()
    env = os.environ | {
        "IVR_DATABASE_URL": database_url,
        "IVR_MENUS": str(ROOT / "menus.yaml"),
        "IVR_VAR_DIR": str(tmp_path / "var"),
        "TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_SECRET_KEY": "test",
    }
    ivr = Path(sys.executable).with_name("ivr")
    process = subprocess.Popen(
        [str(ivr), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("ivr serve did not start")
    yield url
    process.terminate()
    process.wait(10)


def hears(url: str, phrase: str) -> bool:
    with Remote(url) as transport:
        transcript = Phone(transport, TOKEN).call([Answer.parse("0")])
    return any(phrase in text for text in transcript.heard)


def seconds_until(condition, limit: float = 10.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, "the server never saw the change"
        time.sleep(0.2)
    return time.monotonic() - started


def test_closing_and_reopening_reach_a_running_server_within_5_seconds(
    runner: CliRunner, server, database_url, monkeypatch
):
    monkeypatch.setenv("IVR_DATABASE_URL", database_url)
    assert not hears(server, MESSAGE)
    closed = runner.invoke(main, ["hours", "close", "--message", MESSAGE, "--for", "1h"])
    assert closed.exit_code == 0, closed.output
    assert seconds_until(lambda: hears(server, MESSAGE)) < 5
    assert runner.invoke(main, ["hours", "reopen"]).exit_code == 0
    assert seconds_until(lambda: not hears(server, MESSAGE)) < 5


def test_ivr_call_over_http_hears_what_it_hears_in_process(
    runner: CliRunner, server, database_url, monkeypatch
):
    """`ivr call --url` against a running server is the same call as in-process."""
    import json

    monkeypatch.setenv("IVR_DATABASE_URL", database_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    remote = runner.invoke(main, ["call", "--json", "--digits", "2 3 1", "--url", server])
    local = runner.invoke(main, ["call", "--json", "--digits", "2 3 1"])
    assert remote.exit_code == 0 and local.exit_code == 0, remote.output + local.output
    remote_heard = json.loads(remote.output)["heard"]
    assert remote_heard == json.loads(local.output)["heard"]
    assert len(remote_heard) >= 4
