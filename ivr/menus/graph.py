"""A picture of a menu: Mermaid text, Graphviz DOT, and SVG/PNG through ``dot``.

``menu_graph(menu)`` turns a loaded ``Menu`` into boxes and arrows that know
nothing of either syntax; ``to_mermaid`` and ``to_dot`` write them out, and
``render`` pipes DOT through Debian's ``dot`` binary (package ``graphviz``)
for SVG or PNG. Mermaid and DOT need no binary.

What the picture shows (labelled in Portuguese: it is for supervisors):

- a "chamada recebida" entry pointing at ``start``;
- one box per node, its shape by kind: menus are rectangles, hours branches
  diamonds, messages parallelograms, gotos small circles;
- the ends of a path filled in colour: transfers (green, with their target:
  queue, number, SIP address or product line), voicemail (amber, a
  cylinder) and hangup (red, a stadium/octagon);
- arrows labelled with what takes them: the option keys (and the product
  line the option sets), "aberto" / "fechado", "após N tentativas
  inválidas", "sem atendimento" (a transfer's fallback), "após a gravação"
  (a voicemail's next).

Node ids and line names are the document's own. Each kind's drawing is
looked up by the node's kind name (``Menu.kinds``, the node-kind registry);
a kind without one is drawn plainly, following its graph methods.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ivr.menus.document import Menu
from ivr.menus.nodes.base import NodeModel
from ivr.menus.nodes.goto import GotoNode
from ivr.menus.nodes.hangup import HangupNode
from ivr.menus.nodes.hours import HoursNode
from ivr.menus.nodes.menu import MenuNode
from ivr.menus.nodes.message import MessageNode
from ivr.menus.nodes.transfer import CURRENT, TransferNode
from ivr.menus.nodes.voicemail import VoicemailNode

Shape = Literal["entry", "menu", "hours", "message", "goto", "transfer", "voicemail", "hangup"]

ENDS: frozenset[Shape] = frozenset({"transfer", "voicemail", "hangup"})
"""Shapes where a path ends: the caller talks to someone, records, or hears goodbye."""

ENTRY = "(call)"  # the "incoming call" box: parentheses are never in a node id


class GraphvizMissing(Exception):
    """The ``dot`` program is not installed, so there is no SVG or PNG."""


class GraphvizFailed(Exception):
    """``dot`` ran and refused the graph (a bug of ours: report its message)."""


@dataclass(frozen=True, slots=True)
class Box:
    node_id: str  # the document's node id (``ENTRY`` for the incoming call)
    shape: Shape
    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class Arrow:
    source: str
    target: str
    label: str
    usual: bool  # taken on the caller's way (keys, next, open/closed), not on a failure


@dataclass(frozen=True, slots=True)
class MenuGraph:
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


def menu_graph(menu: Menu) -> MenuGraph:
    """Boxes and arrows of ``menu``, in document order, the entry first."""
    boxes = [Box(ENTRY, "entry", "chamada recebida", "")]
    arrows = [Arrow(ENTRY, menu.start, "", True)]
    for node_id, node in menu.nodes.items():
        drawing = _DRAWINGS.get(menu.kinds[node_id].name)
        if drawing is None:  # a kind added later: drawn plainly
            shape, detail = "message", type(node).__name__
            node_arrows = _plain_arrows(node_id, node)
        else:
            shape, detail = drawing.describe(node, menu)
            node_arrows = drawing.arrows(node_id, node, menu)
        boxes.append(Box(node_id, shape, node_id, detail))
        arrows.extend(node_arrows)
    return MenuGraph(tuple(boxes), tuple(arrows))


def _menu_box(node: MenuNode, menu: Menu) -> tuple[Shape, str]:
    count = len(node.options)
    return "menu", f"menu · {count} {'opção' if count == 1 else 'opções'}"


def _hours_box(node: HoursNode, menu: Menu) -> tuple[Shape, str]:
    schedule = f"horário {node.schedule}" if node.schedule else "horário da linha escolhida"
    return "hours", f"aberto agora? ({schedule})"


def _message_box(node: MessageNode, menu: Menu) -> tuple[Shape, str]:
    return "message", "mensagem" if node.play is None else "mensagem (áudio)"


def _goto_box(node: GotoNode, menu: Menu) -> tuple[Shape, str]:
    return "goto", "ir para"


def _transfer_box(node: TransferNode, menu: Menu) -> tuple[Shape, str]:
    return "transfer", "transferir para " + _transfer_target(node, menu)


def _voicemail_box(node: VoicemailNode, menu: Menu) -> tuple[Shape, str]:
    return "voicemail", f"recado (até {node.max_length} s)"


def _hangup_box(node: HangupNode, menu: Menu) -> tuple[Shape, str]:
    return "hangup", "desligar"


def _transfer_target(node: TransferNode, menu: Menu) -> str:
    if node.number is not None:
        return f"o número {node.number}"
    if node.sip is not None:
        return f"o SIP {node.sip}"
    if node.line == CURRENT:
        otherwise = f", senão a fila {node.queue}" if node.queue is not None else ""
        return f"a fila da linha escolhida{otherwise}"
    if node.line is not None:
        line = menu.lines.get(node.line)
        if line is None:
            return f"a linha {node.line}"
        return f"a linha {node.line} (fila {line.queue})"
    return f"a fila {node.queue}"


def _menu_arrows(node_id: str, node: MenuNode, menu: Menu) -> Iterator[Arrow]:
    # Keys that lead to the same place with the same line share one arrow.
    grouped: dict[tuple[str, str | None], list[str]] = {}
    for key, option in node.options.items():
        grouped.setdefault((option.next, option.line), []).append(key)
    for (target, line_id), keys in grouped.items():
        label = ", ".join(keys)
        if line_id is not None:
            line = menu.lines.get(line_id)
            label += f" · linha {line.name if line is not None else line_id}"
        yield Arrow(node_id, target, label, True)
    tries = "tentativa inválida" if node.retries == 1 else "tentativas inválidas"
    yield Arrow(node_id, node.after_retries, f"após {node.retries} {tries}", False)


def _hours_arrows(node_id: str, node: HoursNode, menu: Menu) -> Iterator[Arrow]:
    yield Arrow(node_id, node.open, "aberto", True)
    yield Arrow(node_id, node.closed, "fechado", True)


def _transfer_arrows(node_id: str, node: TransferNode, menu: Menu) -> Iterator[Arrow]:
    if node.fallback is not None:
        yield Arrow(node_id, node.fallback, "sem atendimento", False)


def _voicemail_arrows(node_id: str, node: VoicemailNode, menu: Menu) -> Iterator[Arrow]:
    if node.next is not None:
        yield Arrow(node_id, node.next, "após a gravação", True)
    if node.empty is not None:
        yield Arrow(node_id, node.empty, "nada gravado", False)


def _plain_arrows(node_id: str, node: NodeModel, menu: Menu | None = None) -> Iterator[Arrow]:
    """Message, goto, hangup and any kind added later: follow its graph methods."""
    for _, target in node.flow_targets():
        yield Arrow(node_id, target, "", True)
    for loc, target in node.choice_targets():
        yield Arrow(node_id, target, str(loc[1]) if len(loc) > 1 else "", True)


@dataclass(frozen=True, slots=True)
class _Drawing:
    describe: Callable[[Any, Menu], tuple[Shape, str]]  # the box's shape and detail
    arrows: Callable[[str, Any, Menu], Iterator[Arrow]]


# By node-kind name (the names of ``ivr.menus.nodes.KINDS``).
_DRAWINGS: dict[str, _Drawing] = {
    "menu": _Drawing(_menu_box, _menu_arrows),
    "hours": _Drawing(_hours_box, _hours_arrows),
    "message": _Drawing(_message_box, _plain_arrows),
    "goto": _Drawing(_goto_box, _plain_arrows),
    "transfer": _Drawing(_transfer_box, _transfer_arrows),
    "voicemail": _Drawing(_voicemail_box, _voicemail_arrows),
    "hangup": _Drawing(_hangup_box, _plain_arrows),
}


# ----------------------------------------------------------------------------- Mermaid

_MERMAID_SHAPES: dict[Shape, tuple[str, str]] = {
    "entry": ("((", "))"),
    "menu": ("[", "]"),
    "hours": ("{", "}"),
    "message": ("[/", "/]"),
    "goto": ("((", "))"),
    "transfer": ("[[", "]]"),
    "voicemail": ("[(", ")]"),
    "hangup": ("([", "])"),
}

_MERMAID_STYLES: dict[Shape, str] = {
    "entry": "fill:#e3f2fd,stroke:#1565c0",
    "transfer": "fill:#d4edda,stroke:#2e7d32,stroke-width:2px",
    "voicemail": "fill:#fff3cd,stroke:#b7791f,stroke-width:2px",
    "hangup": "fill:#f8d7da,stroke:#c62828,stroke-width:2px",
}


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: entity codes for what Mermaid would parse."""
    replaced = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;"}
    return "".join(replaced.get(ch, ch) for ch in text)


def to_mermaid(graph: MenuGraph) -> str:
    """Mermaid ``flowchart`` text of the graph (boxes are ``n0``, ``n1`` …)."""
    ids = {box.node_id: f"n{i}" for i, box in enumerate(graph.boxes)}
    lines = ["flowchart TD"]
    for box in graph.boxes:
        opening, closing = _MERMAID_SHAPES[box.shape]
        label = _mermaid_text(box.title)
        if box.detail:
            label += "<br/>" + _mermaid_text(box.detail)
        lines.append(f'    {ids[box.node_id]}{opening}"{label}"{closing}')
    for arrow in graph.arrows:
        link = "-->" if arrow.usual else "-.->"
        label = f'|"{_mermaid_text(arrow.label)}"|' if arrow.label else ""
        lines.append(f"    {ids[arrow.source]} {link}{label} {ids[arrow.target]}")
    for shape, style in _MERMAID_STYLES.items():
        members = [ids[box.node_id] for box in graph.boxes if box.shape == shape]
        if members:
            lines.append(f"    classDef {shape} {style}")
            lines.append(f"    class {','.join(members)} {shape}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- Graphviz

_DOT_SHAPES: dict[Shape, str] = {
    "entry": 'shape=circle, style=filled, fillcolor="#e3f2fd", color="#1565c0"',
    "menu": 'shape=box, style=rounded, color="#37474f"',
    "hours": 'shape=diamond, color="#6a1b9a"',
    "message": 'shape=parallelogram, color="#37474f"',
    "goto": 'shape=circle, color="#37474f"',
    "transfer": 'shape=box, style="filled,bold", fillcolor="#d4edda", color="#2e7d32"',
    "voicemail": 'shape=cylinder, style="filled,bold", fillcolor="#fff3cd", color="#b7791f"',
    "hangup": 'shape=octagon, style="filled,bold", fillcolor="#f8d7da", color="#c62828"',
}


def _dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: MenuGraph) -> str:
    """Graphviz DOT text of the graph (node names are the document's ids)."""
    lines = [
        "digraph menu {",
        "    rankdir=LR;",
        '    node [fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=10];',
    ]
    for box in graph.boxes:
        label = box.title + (f"\n{box.detail}" if box.detail else "")
        name = _dot_string(box.node_id)
        lines.append(f"    {name} [label={_dot_string(label)}, {_DOT_SHAPES[box.shape]}];")
    for arrow in graph.arrows:
        attributes = [f"label={_dot_string(arrow.label)}"] if arrow.label else []
        if not arrow.usual:
            attributes.append('style=dashed, color="#757575", fontcolor="#757575"')
        shown = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"    {_dot_string(arrow.source)} -> {_dot_string(arrow.target)}{shown};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, fmt: Literal["svg", "png"], *, dot: str | None = None) -> bytes:
    """``dot_text`` drawn as SVG or PNG by Graphviz's ``dot`` (``dot`` overrides the program).

    Raises ``GraphvizMissing`` when the program is not installed and
    ``GraphvizFailed`` when it rejects the graph.
    """
    program = shutil.which(dot or "dot")
    if program is None:
        raise GraphvizMissing(
            "o programa 'dot' do Graphviz não está instalado, então não há SVG nem PNG: "
            "instale o graphviz (Debian/Ubuntu: apt-get install graphviz) ou use "
            "--format mermaid ou dot"
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphvizFailed(f"não foi possível executar {program}: {exc}") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizFailed(f"{program} falhou (código {done.returncode}): {reason}")
    return done.stdout
