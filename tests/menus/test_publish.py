"""``ivr menus publish`` and ``ivr menus versions``, as a supervisor uses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main

SHIPPED = Path(__file__).parents[2] / "menus.yaml"
# The urgent option's prompt announces a key the menu does not have.
ANNOUNCES_8 = SHIPPED.read_text(encoding="utf-8").replace(
    "Para falar com um atendente, digite 0.",
    "Para falar com um atendente, digite 0. Para a ouvidoria, digite 8.",
    1,
)


@pytest.fixture
def runner(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path}/ivr.db")
    return runner


def test_publish_shows_the_warnings_and_refuses_without_force(
    runner: CliRunner, tmp_path: Path
) -> None:
    menu = tmp_path / "menu.yaml"
    menu.write_text(ANNOUNCES_8, encoding="utf-8")
    refused = runner.invoke(main, ["menus", "publish", str(menu)])
    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    assert re.fullmatch(
        rf"{re.escape(str(menu))}:\d+:\d+: nodes.principal.say: aviso: o texto diz 'digite 8', "
        r"mas o menu não tem a opção '8'",
        lines[0],
    ), lines
    assert "nada foi publicado" in lines[-1] and "--force" in lines[-1]
    assert runner.invoke(main, ["menus", "export"]).exit_code == 1  # nothing went live

    forced = runner.invoke(main, ["menus", "publish", str(menu), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "aviso: o texto diz 'digite 8'" in forced.output
    assert "versão 1 publicada" in forced.output
    assert "digite 8" in runner.invoke(main, ["menus", "export"]).output


def test_a_draft_with_warnings_is_refused_too(runner: CliRunner, tmp_path: Path) -> None:
    menu = tmp_path / "menu.yaml"
    menu.write_text(ANNOUNCES_8, encoding="utf-8")
    args = ["menus", "publish", str(menu), "--draft", "--test-number", "11 91111-2222"]
    assert runner.invoke(main, args).exit_code == 1
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0


def test_publish_of_a_clean_menu_needs_no_force(runner: CliRunner) -> None:
    result = runner.invoke(main, ["menus", "publish", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.output == "versão 1 publicada (" + result.output.split("(")[1]


def test_versions_marks_the_live_one_in_the_line_s_time_zone(
    runner: CliRunner, tmp_path: Path
) -> None:
    draft = tmp_path / "rascunho.yaml"
    draft.write_text(ANNOUNCES_8, encoding="utf-8")
    second = tmp_path / "segunda.yaml"
    second.write_text(SHIPPED.read_text(encoding="utf-8") + "# segunda versão\n", encoding="utf-8")
    assert runner.invoke(main, ["menus", "publish", str(SHIPPED), "--author", "ana"]).exit_code == 0
    assert runner.invoke(main, ["menus", "publish", str(second), "--author", "bia"]).exit_code == 0
    published = runner.invoke(
        main,
        ["menus", "publish", str(draft), "--force", "--draft", "--test-number", "11 91111-2222"],
    )
    assert published.exit_code == 0, published.output
    rows = runner.invoke(main, ["menus", "versions"]).output.splitlines()
    assert [row.split()[0] for row in rows] == ["3", "2", "1"]
    assert rows[0].endswith("[rascunho]")
    assert rows[1].endswith("[no ar]") and " bia " in rows[1]
    assert not rows[2].endswith("]")
    # São Paulo time, as the supervisor's wall clock shows it
    assert all(re.match(r"\s*\d+  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-03:00  ", row) for row in rows)
