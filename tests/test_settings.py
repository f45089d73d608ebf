"""Settings from the environment: the README's defaults, and bad values named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.settings import Settings, SettingsError


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///var/ivr.db"
    assert settings.menus_path == "menus.yaml"
    assert settings.public_url is None
    assert settings.trusted_proxies == 0
    assert settings.voice == "Polly.Camila"
    assert (settings.fallback_number, settings.fallback_queue) == ("", "")
    assert settings.var_dir == Path("var")
    assert settings.twilio_api_base_url is None
    assert settings.ticket_store == "sql"
    assert settings.callback_sms is False  # SMS confirmations are off by default


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "IVR_VAR_DIR": "/srv/ivr",
            "IVR_MENUS": "/etc/ivr/menus.yaml",
            "IVR_PUBLIC_URL": "https://ivr.example.com.br",
            "IVR_TRUSTED_PROXIES": "2",
            "IVR_VOICE": "Polly.Thiago",
            "IVR_FALLBACK_NUMBER": "+551130040000",
            "TWILIO_AUTH_TOKEN": "token",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9999",
            "IVR_TICKET_STORE": "zendesk",
            "ZENDESK_URL": "https://atlas.zendesk.com",
            "IVR_CALLBACK_CPS": "0.5",
            "IVR_CALLBACK_SMS": "true",
        }
    )
    assert settings.database_url == "sqlite:////srv/ivr/ivr.db"  # follows IVR_VAR_DIR
    assert settings.menus_path == "/etc/ivr/menus.yaml"
    assert (settings.public_url, settings.trusted_proxies) == ("https://ivr.example.com.br", 2)
    assert (settings.voice, settings.fallback_number) == ("Polly.Thiago", "+551130040000")
    assert settings.twilio_auth_token == "token"
    assert settings.twilio_api_base_url == "http://127.0.0.1:9999"
    assert (settings.ticket_store, settings.zendesk_url) == ("zendesk", "https://atlas.zendesk.com")
    assert settings.callback_cps == 0.5
    assert settings.callback_sms is True


def test_an_empty_variable_counts_as_unset() -> None:
    settings = Settings.from_env({"IVR_PUBLIC_URL": "", "IVR_DATABASE_URL": ""})
    assert settings.public_url is None
    assert settings.database_url == "sqlite:///var/ivr.db"


def test_secrets_stay_out_of_the_repr() -> None:
    settings = Settings.from_env({"TWILIO_AUTH_TOKEN": "s3cr3t", "IVR_SECRET_KEY": "k3y"})
    assert "s3cr3t" not in repr(settings) and "k3y" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("IVR_TRUSTED_PROXIES", "abc"),
        ("IVR_TRUSTED_PROXIES", "-1"),
        ("IVR_TICKET_STORE", "jira"),
        ("IVR_CALLBACK_CPS", "0"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"^{variable}={value!r}: ") as raised:
        Settings.from_env({variable: value})
    assert "\n" not in str(raised.value)


def test_the_command_line_answers_a_bad_value_in_one_line(
    runner: CliRunner, cli_env, monkeypatch
) -> None:
    monkeypatch.setenv("IVR_TRUSTED_PROXIES", "abc")
    result = runner.invoke(main, ["hours", "check"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: bad setting: IVR_TRUSTED_PROXIES='abc': "
        "Input should be a valid integer, unable to parse string as an integer\n"
    )
