"""Typed settings read from the environment (and a ``.env`` file if present).

Every field is read from the variable named in its ``validation_alias``
(README, "Environment variables"); an empty variable counts as unset. A
value that does not fit is refused at start-up with one line naming the
variable: ``IVR_TRUSTED_PROXIES='abc': Input should be a valid integer``.
Tests build ``Settings(database_url=…)`` by field name.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_VOICE = "Polly.Camila"

TicketStoreName = Literal["sql", "zendesk", "tomticket", "webhook"]


class SettingsError(ValueError):
    """A variable of the environment has a value that cannot be used (one line)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        case_sensitive=True,
        env_ignore_empty=True,
    )

    # -- the IVR -------------------------------------------------------------
    var_dir: Path = Field(Path("var"), validation_alias="IVR_VAR_DIR")
    # Default: sqlite:///<var_dir>/ivr.db (filled in below).
    database_url: str = Field("", validation_alias="IVR_DATABASE_URL")
    menus_path: str = Field("menus.yaml", validation_alias="IVR_MENUS")
    # The base URL Twilio calls, e.g. https://ivr.example.com: signatures are checked against it.
    public_url: str | None = Field(None, validation_alias="IVR_PUBLIC_URL")
    # How many proxy hops may set X-Forwarded-* (when public_url is unset).
    trusted_proxies: int = Field(0, ge=0, validation_alias="IVR_TRUSTED_PROXIES")
    secret_key: str = Field("", repr=False, validation_alias="IVR_SECRET_KEY")
    voice: str = Field(DEFAULT_VOICE, validation_alias="IVR_VOICE")
    # E.164 number a caller is sent to when a step fails; else the queue below.
    fallback_number: str = Field("", validation_alias="IVR_FALLBACK_NUMBER")
    # Must be a queue of the live menu; unset: the menu's first queue (ivr.menus.fallback).
    fallback_queue: str = Field("", validation_alias="IVR_FALLBACK_QUEUE")
    # When set, GET /metrics answers only "Authorization: Bearer <token>".
    metrics_token: str = Field("", repr=False, validation_alias="IVR_METRICS_TOKEN")
    # The console's session cookie is sent over HTTPS only; false only for local plain http.
    cookie_secure: bool = Field(True, validation_alias="IVR_COOKIE_SECURE")
    # Outbound callback calls per second, across all processes (Twilio's account limit).
    callback_cps: float = Field(1.0, gt=0, validation_alias="IVR_CALLBACK_CPS")
    # Confirm callbacks booked to mobile numbers by SMS (sent by the worker from TWILIO_NUMBER).
    callback_sms: bool = Field(False, validation_alias="IVR_CALLBACK_SMS")

    # -- retention (LGPD): days each kind of personal data is kept -----------
    retain_recordings_days: int = Field(90, ge=1, validation_alias="IVR_RETAIN_RECORDINGS_DAYS")
    retain_calls_days: int = Field(730, ge=1, validation_alias="IVR_RETAIN_CALLS_DAYS")
    # Counted from Resolvido; callbacks go with their ticket.
    retain_tickets_days: int = Field(730, ge=1, validation_alias="IVR_RETAIN_TICKETS_DAYS")

    # -- Twilio --------------------------------------------------------------
    twilio_account_sid: str = Field("", validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = Field("", repr=False, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_number: str = Field("", validation_alias="TWILIO_NUMBER")
    twilio_api_base_url: str | None = Field(None, validation_alias="TWILIO_API_BASE_URL")

    # -- the ticket store and its adapters -----------------------------------
    ticket_store: TicketStoreName = Field("sql", validation_alias="IVR_TICKET_STORE")
    zendesk_url: str = Field("", validation_alias="ZENDESK_URL")
    zendesk_email: str = Field("", validation_alias="ZENDESK_EMAIL")
    zendesk_api_token: str = Field("", repr=False, validation_alias="ZENDESK_API_TOKEN")
    tomticket_url: str = Field("", validation_alias="TOMTICKET_URL")
    tomticket_token: str = Field("", repr=False, validation_alias="TOMTICKET_TOKEN")
    tomticket_department_id: str = Field("", validation_alias="TOMTICKET_DEPARTMENT_ID")
    tomticket_category_id: str = Field("", validation_alias="TOMTICKET_CATEGORY_ID")
    tomticket_line_departments: str = Field("", validation_alias="TOMTICKET_LINE_DEPARTMENTS")
    tickets_webhook_url: str = Field("", validation_alias="TICKETS_WEBHOOK_URL")
    tickets_webhook_secret: str = Field("", repr=False, validation_alias="TICKETS_WEBHOOK_SECRET")
    # "module:factory" of a voicemail transcriber (pt-BR); empty: no transcription
    transcriber: str = Field("", validation_alias="IVR_TRANSCRIBER")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Built by field name, settings are exactly what was given (tests);
        # from_env() hands the environment's variables in by name.
        return (init_settings,)

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir}/ivr.db")
        return self

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """The names of every environment variable the settings read."""
        return tuple(str(f.validation_alias) for f in cls.model_fields.values())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the process environment; ``environ`` replaces it in tests.

        Raises :class:`SettingsError` naming the variable of a value that does not fit.
        """
        if environ is None:
            _load_dotenv()
            environ = os.environ
        given = {name: environ[name] for name in cls.variables() if environ.get(name)}
        try:
            return cls(**given)
        except ValidationError as exc:
            raise SettingsError(_one_line(exc, given)) from None

    def with_local_secrets(self) -> Settings:
        """Fill a missing auth token / secret key from files under ``var/``.

        A newcomer's first ``make run`` has no Twilio account: we create a
        random local token so the simulator can sign requests, and say so.
        Nothing is ever served unsigned.
        """
        token = self.twilio_auth_token or _local_secret(self.var_dir / "twilio_auth_token", True)
        key = self.secret_key or _local_secret(self.var_dir / "secret_key", False)
        return self.model_copy(update={"twilio_auth_token": token, "secret_key": key})

    def keyed_hash_key(self) -> str:
        """The key of the audit log's keyed hashes: IVR_SECRET_KEY, else the local one.

        The same key the server signs sessions with, so a repeated request
        for one number hashes the same from the command line and the console.
        """
        return self.secret_key or _local_secret(self.var_dir / "secret_key", False)


def _one_line(exc: ValidationError, given: Mapping[str, Any]) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "settings"
        value = f"={given[name]!r}" if name in given else ""
        problems.append(f"{name}{value}: {error['msg']}")
    return "; ".join(problems)


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
