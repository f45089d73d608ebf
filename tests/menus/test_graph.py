"""The picture of a menu: Mermaid and DOT text, SVG and PNG through Graphviz."""

from __future__ import annotations

import shutil
import textwrap
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from ivr.cli.menus import menus
from ivr.menus.graph import GraphvizMissing, menu_graph, render, to_dot, to_mermaid
from ivr.menus.loader import load_menu
from ivr.storage import menu_versions
from ivr.storage.db import make_engine, upgrade

SHIPPED = Path(__file__).parents[2] / "menus.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)

SMALL = textwrap.dedent(
    """\
    start: horario
    lines:
      fiscal: {name: Fiscal e NF-e, queue: suporte-fiscal}
    nodes:
      horario:
        kind: hours
        open: principal
        closed: recado
      principal:
        kind: menu
        say: Fiscal, digite 1. Atendente, digite 0 ou sustenido.
        options:
          "1": {next: fiscal, line: fiscal}
          "0": {next: atendente}
          "#": {next: atendente}
        retries: 2
        after_retries: recado
      fiscal:
        kind: transfer
        line: fiscal
        fallback: recado
      atendente:
        kind: transfer
        number: "+551130001000"
      recado:
        kind: voicemail
        next: fim
      fim:
        kind: hangup
    """
)


def mermaid_of(text: str) -> str:
    return to_mermaid(menu_graph(load_menu(text)))


def test_mermaid_draws_every_node_and_labelled_edge() -> None:
    lines = mermaid_of(SMALL).splitlines()
    assert lines[0] == "flowchart TD"
    assert '    n0(("chamada recebida"))' in lines
    assert '    n1{"horario<br/>aberto agora? (horário da linha escolhida)"}' in lines
    assert '    n2["principal<br/>menu · 3 opções"]' in lines
    assert '    n3[["fiscal<br/>transferir para a linha fiscal (fila suporte-fiscal)"]]' in lines
    assert '    n4[["atendente<br/>transferir para o número +551130001000"]]' in lines
    assert '    n5[("recado<br/>recado (até 120 s)")]' in lines
    assert '    n6(["fim<br/>desligar"])' in lines
    edges = [line.strip() for line in lines if "->" in line]
    assert edges == [
        "n0 --> n1",
        'n1 -->|"aberto"| n2',
        'n1 -->|"fechado"| n5',
        'n2 -->|"1 · linha Fiscal e NF-e"| n3',
        'n2 -->|"0, #35;"| n4',  # keys to one place share an arrow; '#' is escaped
        'n2 -.->|"após 2 tentativas inválidas"| n5',
        'n3 -.->|"sem atendimento"| n5',
        'n5 -->|"após a gravação"| n6',
    ]


def test_the_ends_of_each_path_are_coloured_by_kind() -> None:
    text = mermaid_of(SMALL)
    assert "    class n3,n4 transfer\n" in text
    assert "    class n5 voicemail\n" in text
    assert "    class n6 hangup\n" in text


def test_node_ids_never_clash_with_mermaid_keywords() -> None:
    text = SMALL.replace("fim", "end").replace("recado", "graph")
    mermaid = mermaid_of(text)
    assert '(["end<br/>desligar"])' in mermaid
    assert " end\n" not in mermaid.replace("classDef", "")  # ids are n0, n1 …


def test_dot_names_nodes_by_id_and_dashes_failure_edges() -> None:
    dot = to_dot(menu_graph(load_menu(SMALL)))
    assert dot.startswith("digraph menu {\n")
    assert '"principal" -> "fiscal" [label="1 · linha Fiscal e NF-e"];' in dot
    assert '"horario" -> "recado" [label="fechado"];' in dot
    assert '"fiscal" -> "recado" [label="sem atendimento", style=dashed' in dot
    assert '"(call)" -> "horario";' in dot
    assert '"fim" [label="fim\\ndesligar", shape=octagon' in dot


def test_a_missing_dot_program_is_a_clear_error() -> None:
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        render("digraph {}", "svg", dot="no-such-dot-program")


@needs_dot
def test_the_shipped_menu_renders_to_svg_naming_every_node() -> None:
    menu = load_menu(SHIPPED.read_text(encoding="utf-8"))
    svg = render(to_dot(menu_graph(menu)), "svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {el.text for el in root.iter("{http://www.w3.org/2000/svg}title")}
    assert set(menu.nodes) <= titles
    texts = {el.text for el in root.iter("{http://www.w3.org/2000/svg}text")}
    assert "transferir para a fila suporte-urgente" in texts


@needs_dot
def test_the_shipped_menu_renders_to_png() -> None:
    menu = load_menu(SHIPPED.read_text(encoding="utf-8"))
    assert render(to_dot(menu_graph(menu)), "png").startswith(PNG_SIGNATURE)


# ---------------------------------------------------------------------------- ivr menus graph


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with its own database and IVR_MENUS unset."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path / 'ivr.db'}")
    monkeypatch.delenv("IVR_MENUS", raising=False)
    return tmp_path


def test_graph_cli_writes_mermaid_of_a_file(runner: CliRunner, workdir: Path) -> None:
    (workdir / "small.yaml").write_text(SMALL, encoding="utf-8")
    result = runner.invoke(menus, ["graph", "small.yaml", "--format", "mermaid"])
    assert result.exit_code == 0, result.output
    assert 'n1 -->|"aberto"| n2' in result.stdout
    assert result.stdout.startswith("flowchart TD\n")


def test_graph_cli_draws_menus_yaml_when_nothing_is_published(
    runner: CliRunner, workdir: Path
) -> None:
    (workdir / "menus.yaml").write_text(SMALL, encoding="utf-8")
    result = runner.invoke(menus, ["graph", "--output", "menu.dot"])
    assert result.exit_code == 0, result.output
    assert '"principal" -> "fiscal"' in (workdir / "menu.dot").read_text(encoding="utf-8")
    assert "desenhando menus.yaml" in result.stderr


def test_graph_cli_draws_the_live_version_first(runner: CliRunner, workdir: Path) -> None:
    (workdir / "menus.yaml").write_text(SMALL, encoding="utf-8")
    live = SHIPPED.read_text(encoding="utf-8")
    url = f"sqlite:///{workdir / 'ivr.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        menu_versions.publish(
            session, live, "ana", datetime(2026, 3, 2, tzinfo=UTC), validate=load_menu
        )
        session.commit()
    engine.dispose()
    result = runner.invoke(menus, ["graph", "--format", "mermaid"])
    assert result.exit_code == 0, result.output
    assert "topicos_fiscal" in result.stdout
    assert "desenhando versão publicada 1" in result.stderr


def test_graph_cli_refuses_a_broken_menu_with_its_problems(
    runner: CliRunner, workdir: Path
) -> None:
    (workdir / "broken.yaml").write_text(SMALL.replace("next: fim", "next: fin"), "utf-8")
    result = runner.invoke(menus, ["graph", "broken.yaml", "--format", "dot"])
    assert result.exit_code == 1
    assert "broken.yaml:27:11: nodes.recado.next: nó desconhecido 'fin'" in result.stderr


def test_graph_cli_without_dot_says_to_install_graphviz(
    runner: CliRunner, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "small.yaml").write_text(SMALL, encoding="utf-8")
    monkeypatch.setenv("PATH", str(workdir))  # no dot here
    result = runner.invoke(menus, ["graph", "small.yaml", "--format", "svg"])
    assert result.exit_code == 1
    assert "instale o graphviz" in result.stderr
    assert "Traceback" not in result.output


@needs_dot
def test_graph_cli_png_from_the_output_suffix(runner: CliRunner, workdir: Path) -> None:
    (workdir / "small.yaml").write_text(SMALL, encoding="utf-8")
    result = runner.invoke(menus, ["graph", "small.yaml", "-o", "menu.png"])
    assert result.exit_code == 0, result.output
    assert (workdir / "menu.png").read_bytes().startswith(PNG_SIGNATURE)


@needs_dot
def test_graph_cli_svg_to_standard_output(runner: CliRunner, workdir: Path) -> None:
    (workdir / "small.yaml").write_text(SMALL, encoding="utf-8")
    result = runner.invoke(menus, ["graph", "small.yaml"])
    assert result.exit_code == 0, result.output
    assert ET.fromstring(result.stdout_bytes).tag == "{http://www.w3.org/2000/svg}svg"
