"""The import contracts in pyproject.toml cover every domain package."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Packages that must work without the web layer: the calendar, the menus,
# storage, Twilio's protocol, privacy, callbacks and the tickets bridge.
DOMAIN_PACKAGES = [
    "hours",
    "ivr.menus",
    "ivr.storage",
    "ivr.telephony",
    "ivr.privacy",
    "callbacks",
    "tickets_bridge",
]


def forbidden_contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return [c for c in contracts if c["type"] == "forbidden"]


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_every_domain_package_is_forbidden_flask(package):
    covered = [
        c["name"]
        for c in forbidden_contracts()
        if package in c["source_modules"] and "flask" in c["forbidden_modules"]
    ]
    assert covered, f"no import contract forbids {package} from importing flask"


def test_the_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
