"""Rules written once: a second copy in the code is a test failure."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ivr", "hours", "callbacks", "tickets_bridge")


def sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
    }


def test_the_wall_clock_is_read_in_one_place():
    """Everything else takes ``now`` or a clock (hours.clock.utc_now by default)."""
    reads = re.compile(r"datetime\.now\(|datetime\.utcnow\(|\btime\.time\(\)|date\.today\(\)")
    found = sorted(name for name, text in sources().items() if reads.search(text))
    assert found == ["hours/clock.py"]


def test_menu_yaml_is_parsed_only_by_the_loader():
    """The one other YAML reader is the scenarios file's, a different document."""
    imports = re.compile(r"^(import yaml|from yaml )", re.MULTILINE)
    found = sorted(name for name, text in sources().items() if imports.search(text))
    assert found == ["ivr/menus/loader.py", "ivr/simulator/scenarios.py"]
