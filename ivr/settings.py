"""Typed settings read from the environment (and a ``.env`` file if present)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_VOICE = "Polly.Camila"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/ivr.db"
    menus_path: str = "menus.yaml"
    public_url: str | None = None  # the base URL Twilio calls, e.g. https://ivr.example.com
    trusted_proxies: int = 0  # how many proxy hops may set X-Forwarded-*
    secret_key: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_number: str = ""
    twilio_api_base_url: str | None = None
    voice: str = DEFAULT_VOICE
    fallback_number: str = ""  # E.164 number a caller is sent to when a step fails
    fallback_queue: str = "suporte"  # queue used for that when no number is set
    var_dir: Path = Path("var")
    ticket_store: str = "sql"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the process environment; ``environ`` replaces it in tests."""
        if environ is None:
            _load_dotenv()
            environ = os.environ
        env = environ.get
        var_dir = Path(env("IVR_VAR_DIR", "var"))
        return cls(
            database_url=env("IVR_DATABASE_URL", f"sqlite:///{var_dir}/ivr.db"),
            menus_path=env("IVR_MENUS", "menus.yaml"),
            public_url=(env("IVR_PUBLIC_URL") or None),
            trusted_proxies=int(env("IVR_TRUSTED_PROXIES", "0")),
            secret_key=env("IVR_SECRET_KEY", ""),
            twilio_account_sid=env("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env("TWILIO_AUTH_TOKEN", ""),
            twilio_number=env("TWILIO_NUMBER", ""),
            twilio_api_base_url=(env("TWILIO_API_BASE_URL") or None),
            voice=env("IVR_VOICE", DEFAULT_VOICE),
            fallback_number=env("IVR_FALLBACK_NUMBER", ""),
            fallback_queue=env("IVR_FALLBACK_QUEUE", "suporte"),
            var_dir=var_dir,
            ticket_store=env("IVR_TICKET_STORE", "sql"),
        )

    def with_local_secrets(self) -> Settings:
        """Fill a missing auth token / secret key from files under ``var/``.

        A newcomer's first ``make run`` has no Twilio account: we create a
        random local token so the simulator can sign requests, and say so.
        Nothing is ever served unsigned.
        """
        token = self.twilio_auth_token or _local_secret(self.var_dir / "twilio_auth_token", True)
        key = self.secret_key or _local_secret(self.var_dir / "secret_key", False)
        return replace(self, twilio_auth_token=token, secret_key=key)


def _local_secret(path: Path, announce: bool) -> str:
    if path.exists():
        value = path.read_text().strip()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(16)
        path.write_text(value + "\n")
        path.chmod(0o600)
    if announce:
        print(
            f"WARNING: TWILIO_AUTH_TOKEN is not set; using a local random token from {path}. "
            "Real Twilio requests will fail the signature check; `ivr call` signs with it.",
            file=sys.stderr,
        )
    return value


def _load_dotenv() -> None:
    from dotenv import load_dotenv

    load_dotenv(override=False)
