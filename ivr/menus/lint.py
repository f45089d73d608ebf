"""Graph rules over a schema-valid menu: references, reachability, ways out.

The schema (pydantic models) says what each node may contain; the rules here
look at the nodes together, through the graph methods every ``NodeModel``
has, so a new node kind is linted without changes here. Each rule is a
function ``rule(doc, report)`` listed in ``RULES``; a new check is one more
function appended there.

Errors make the document unusable (dangling targets, unreachable nodes, dead
ends, loops with no exit). Warnings are what a caller would stumble on but
the engine can run: a menu prompt that announces a key the menu does not
have, an option its prompt never announces, a prompt longer than about
``MAX_PROMPT_SECONDS`` to speak, more than ``MAX_OPTIONS`` options (how a
prompt is read is in ``ivr.menus.announcements``), a word in the speech
phrases of two options of one menu (``ivr.menus.speech``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ivr.menus.announcements import CHARACTERS_PER_SECOND, announced_keys, speaking_seconds
from ivr.menus.nodes import NodeModel
from ivr.menus.nodes.base import Loc
from ivr.menus.nodes.menu import MenuNode
from ivr.menus.nodes.survey import SurveyNode
from ivr.menus.nodes.transfer import CURRENT
from ivr.menus.problems import Severity, did_you_mean
from ivr.menus.speech import shared_words


class Report(Protocol):
    """Where rules send problems; ``path`` is located by the loader's marks."""

    def __call__(
        self, path: Loc, message: str, *, severity: Severity = "error", at_key: bool = False
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class LintInput:
    """What the rules see. ``nodes`` holds the nodes that passed the schema;
    ``node_ids`` every node id in the file; ``complete`` is False when some
    node or the document head failed the schema (whole-graph rules then
    stay quiet rather than guess)."""

    start: str | None
    lines: Mapping[str, Any]
    schedules: Mapping[str, Any]
    nodes: Mapping[str, NodeModel]
    node_ids: frozenset[str]
    complete: bool
    failed: Mapping[str, Any] = field(default_factory=dict)  # raw nodes that failed the schema


Rule = Callable[[LintInput, Report], None]


def lint(doc: LintInput, report: Report) -> None:
    """Run every rule of ``RULES`` over the document.

    A target that names no node (a typo: ``next: principall``) is reported
    once by ``check_references``; the whole-graph rules then stay quiet, since
    every node behind the missing edge would look unreachable or stuck.
    """
    if doc.complete and _dangling(doc):
        doc = replace(doc, complete=False)
    for rule in RULES:
        rule(doc, report)


def _line_surveys(doc: LintInput) -> Iterable[tuple[str, str]]:
    """``(line id, node id)`` of every line that names a survey."""
    for line_id, line in doc.lines.items():
        survey = getattr(line, "survey", None)
        if isinstance(survey, str):
            yield line_id, survey


def _dangling(doc: LintInput) -> bool:
    if doc.start is not None and doc.start not in doc.node_ids:
        return True
    if any(survey not in doc.node_ids for _, survey in _line_surveys(doc)):
        return True
    return any(
        target not in doc.node_ids for node in doc.nodes.values() for _, target in _targets(node)
    )


def _targets(node: NodeModel) -> Iterable[tuple[Loc, str]]:
    yield from node.flow_targets()
    yield from node.choice_targets()


def _reachable(doc: LintInput, sources: Iterable[str], *, flow_only: bool = False) -> set[str]:
    seen: set[str] = set()
    queue = deque(s for s in sources if s in doc.nodes)
    while queue:
        node_id = queue.popleft()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = doc.nodes[node_id]
        edges = node.flow_targets() if flow_only else _targets(node)
        queue.extend(t for _, t in edges if t in doc.nodes and t not in seen)
    return seen


# Field names that name another node, to check the references of a node that
# failed the schema (its model is not there to ask). A new kind with a new
# target field adds the name here.
TARGET_FIELDS = frozenset(
    {"next", "after_retries", "fallback", "open", "closed", "back", "closing", "callback"}
)


def _raw_targets(raw: Any, loc: Loc = ()) -> Iterable[tuple[Loc, str]]:
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key in TARGET_FIELDS and isinstance(value, str):
                yield (*loc, key), value
            else:
                yield from _raw_targets(value, (*loc, key))


def _suggest(name: str, choices: Iterable[str]) -> str:
    return did_you_mean(name, choices)


def check_references(doc: LintInput, report: Report) -> None:
    """Every target, product line and schedule named exists."""
    if doc.start is not None and doc.start not in doc.node_ids:
        hint = _suggest(doc.start, doc.node_ids)
        report(("start",), f"o nó inicial {doc.start!r} não existe{hint}")
    if CURRENT in doc.lines:
        report(("lines", CURRENT), f"{CURRENT!r} é reservado (line: current)", at_key=True)
    for line_id, line in doc.lines.items():
        schedule = getattr(line, "schedule", None)
        if schedule is not None and schedule not in doc.schedules:
            report(
                ("lines", line_id, "schedule"),
                f"agenda desconhecida {schedule!r}{_suggest(schedule, doc.schedules)}",
            )
    for line_id, survey in _line_surveys(doc):
        if survey not in doc.node_ids:
            report(
                ("lines", line_id, "survey"),
                f"nó desconhecido {survey!r}{_suggest(survey, doc.node_ids)}",
            )
        elif survey in doc.nodes and not isinstance(doc.nodes[survey], SurveyNode):
            report(
                ("lines", line_id, "survey"),
                f"o nó {survey!r} não é uma pesquisa (kind: survey)",
            )
    targets: list[tuple[str, Loc, str]] = [
        (node_id, loc, target)
        for node_id, node in doc.nodes.items()
        for loc, target in _targets(node)
    ]
    for node_id, raw in doc.failed.items():
        targets.extend((node_id, loc, target) for loc, target in _raw_targets(raw))
    for node_id, loc, target in targets:
        if target not in doc.node_ids:
            report(
                ("nodes", node_id, *loc),
                f"nó desconhecido {target!r}{_suggest(target, doc.node_ids)}",
            )
    for node_id, node in doc.nodes.items():
        for loc, line_id in node.lines_used():
            if line_id not in doc.lines:
                report(
                    ("nodes", node_id, *loc),
                    f"linha de produto desconhecida {line_id!r}{_suggest(line_id, doc.lines)}",
                )
        for loc, schedule in node.schedules_used():
            if schedule not in doc.schedules:
                report(
                    ("nodes", node_id, *loc),
                    f"agenda desconhecida {schedule!r}{_suggest(schedule, doc.schedules)}",
                )


def check_reachable(doc: LintInput, report: Report) -> None:
    """Every node can be reached from ``start`` (or is a line's survey, reached after
    a transfer)."""
    if not doc.complete or doc.start not in doc.nodes:
        return
    reached = _reachable(doc, [doc.start, *(survey for _, survey in _line_surveys(doc))])
    for node_id in doc.nodes:
        if node_id not in reached:
            report(
                ("nodes", node_id),
                f"nó inalcançável: nenhum caminho leva até ele a partir do início {doc.start!r}",
                at_key=True,
            )


def check_ways_out(doc: LintInput, report: Report) -> None:
    """From every node a transfer, voicemail or hangup can be reached."""
    if not doc.complete:
        return
    predecessors: dict[str, list[str]] = {node_id: [] for node_id in doc.nodes}
    for node_id, node in doc.nodes.items():
        for _, target in _targets(node):
            if target in predecessors:
                predecessors[target].append(node_id)
    can_end = {node_id for node_id, node in doc.nodes.items() if node.ends_call}
    queue = deque(can_end)
    while queue:
        for before in predecessors[queue.popleft()]:
            if before not in can_end:
                can_end.add(before)
                queue.append(before)
    for node_id in doc.nodes:
        if node_id not in can_end:
            report(
                ("nodes", node_id),
                "sem saída: deste nó não se chega a nenhuma transferência, recado ou desligamento",
                at_key=True,
            )


def check_silent_loops(doc: LintInput, report: Report) -> None:
    """No loop is taken without the caller choosing.

    Follows only the edges taken without a choice (``next``, ``open`` /
    ``closed``, ``after_retries``, ``fallback``): a loop there either spins
    without input (message/goto/hours) or keeps a silent caller forever.
    """
    for cycle in _cycles(doc):
        shown = " -> ".join([*cycle, cycle[0]])
        if any(doc.nodes[n].takes_input for n in cycle):
            message = (
                f"quem ficar em silêncio andaria em círculos para sempre: {shown}; "
                "mande after_retries / fallback para uma transferência, um recado ou um "
                "desligamento"
            )
        else:
            message = f"ciclo sem escolha de quem liga: {shown}; a ligação nunca sairia dele"
        report(("nodes", cycle[0]), message, at_key=True)


def _cycles(doc: LintInput) -> list[list[str]]:
    """One cycle per strongly connected component of the flow graph (Tarjan)."""
    edges = {
        node_id: [t for _, t in node.flow_targets() if t in doc.nodes]
        for node_id, node in doc.nodes.items()
    }
    order = {node_id: i for i, node_id in enumerate(doc.nodes)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in doc.nodes:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node_id, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node_id] = min(low[node_id], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node_id])
            if low[node_id] == index[node_id]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node_id:
                        break
                if len(component) > 1 or node_id in edges[node_id]:
                    components.append(sorted(component, key=order.__getitem__))
    cycles = []
    for component in components:
        members = set(component)
        first = component[0]
        # Shortest way from the first member back to itself, inside the component.
        came_from: dict[str, str] = {}
        queue = deque([first])
        while queue:
            current = queue.popleft()
            if first in edges[current]:
                path = [current]
                while path[-1] != first:
                    path.append(came_from[path[-1]])
                cycles.append(list(reversed(path)))
                break
            for nxt in edges[current]:
                if nxt in members and nxt not in came_from and nxt != first:
                    came_from[nxt] = current
                    queue.append(nxt)
    return sorted(cycles, key=lambda c: order[c[0]])


def check_person(doc: LintInput, report: Report) -> None:
    """Every menu offers a way to a person, and one exists from ``start``."""
    if not doc.complete:
        return
    people = {node_id for node_id, node in doc.nodes.items() if node.reaches_person}
    menus_reached = False
    reached_from_start = _reachable(doc, [doc.start]) if doc.start in doc.nodes else set()
    for node_id, node in doc.nodes.items():
        if not node.takes_input:
            continue
        menus_reached = menus_reached or node_id in reached_from_start
        if node.reaches_person:  # a callback: an agent calls the caller back
            continue
        choices = [t for _, t in node.choice_targets()]
        if not people & _reachable(doc, choices):
            report(
                ("nodes", node_id, "options"),
                "nenhuma opção leva a um atendente: inclua uma opção que chegue a uma "
                "transferência",
            )
    if doc.start in doc.nodes and not menus_reached and not people & reached_from_start:
        report(
            ("start",),
            "nenhum caminho até um atendente: nenhuma transferência é alcançável "
            "a partir do início",
        )


def check_queue_callbacks(doc: LintInput, report: Report) -> None:
    """A transfer's ``callback`` names a ``callback`` node: only it can book one."""
    from ivr.menus.nodes.callback import CallbackNode
    from ivr.menus.nodes.transfer import TransferNode

    for node_id, node in doc.nodes.items():
        target = node.callback if isinstance(node, TransferNode) else None
        if target in doc.nodes and not isinstance(doc.nodes[target], CallbackNode):
            report(
                ("nodes", node_id, "callback"),
                f"o nó {target!r} não é do tipo callback: quem digita 1 na fila "
                "precisa de um nó que agende o retorno",
            )


MAX_PROMPT_SECONDS = 20
MAX_OPTIONS = 5


def _menus(doc: LintInput) -> Iterable[tuple[str, MenuNode]]:
    return ((i, node) for i, node in doc.nodes.items() if isinstance(node, MenuNode))


def check_announced_keys(doc: LintInput, report: Report) -> None:
    """A menu's prompts announce only keys it has, and its ``say`` announces
    every key it has. Audio (``play``) and prompts that announce no key at
    all (speech-only, "diga o nome do produto") cannot be checked."""
    for node_id, node in _menus(doc):
        keys = {*node.options, *node.navigation_keys()}
        for loc, prompt in node.prompts():
            reported: set[str] = set()
            for key, words in announced_keys(prompt):
                if key not in keys and key not in reported:
                    reported.add(key)
                    report(
                        ("nodes", node_id, *loc),
                        f"o texto diz {words!r}, mas o menu não tem a opção {key!r}",
                        severity="warning",
                    )
        if node.say is None:
            continue
        announced = {key for key, _ in announced_keys(node.say)}
        if not announced:
            continue
        for key in node.options:
            if key not in announced:
                report(
                    ("nodes", node_id, "options", key),
                    f"a opção {key!r} nunca é anunciada no texto (say): "
                    "quem liga não tem como adivinhá-la",
                    severity="warning",
                    at_key=True,
                )


def check_prompt_length(doc: LintInput, report: Report) -> None:
    """A menu's ``say`` is short enough to remember the first option at the end."""
    names = [str(getattr(line, "name", "")) for line in doc.lines.values()]
    for node_id, node in _menus(doc):
        if node.say is None:
            continue
        seconds = speaking_seconds(node.say, names)
        if seconds > MAX_PROMPT_SECONDS:
            report(
                ("nodes", node_id, "say"),
                f"o texto leva cerca de {seconds:.0f} s para ser falado (mais de "
                f"{MAX_PROMPT_SECONDS} s a {CHARACTERS_PER_SECOND:.0f} caracteres/s): quem liga "
                "esquece as primeiras opções; encurte o texto ou divida o menu",
                severity="warning",
            )


def check_option_count(doc: LintInput, report: Report) -> None:
    """A menu has at most ``MAX_OPTIONS`` options: callers remember few."""
    for node_id, node in _menus(doc):
        if len(node.options) > MAX_OPTIONS:
            report(
                ("nodes", node_id, "options"),
                f"{len(node.options)} opções (mais de {MAX_OPTIONS}): quem liga guarda "
                "poucas; agrupe algumas em um submenu",
                severity="warning",
                at_key=True,
            )


def check_shared_speech_words(doc: LintInput, report: Report) -> None:
    """A word in the speech phrases of two options of a menu chooses neither when said alone."""
    for node_id, node in _menus(doc):
        for word, keys in shared_words(node.vocabulary()):
            listed = ", ".join(repr(k) for k in keys[:-1]) + f" e {keys[-1]!r}"
            report(
                ("nodes", node_id, "options", keys[-1], "speech"),
                f"a palavra {word!r} aparece nas frases de voz das opções {listed}: "
                "dita sozinha, ela pode levar o cliente à opção errada; deixe-a em uma opção só",
                severity="warning",
            )


RULES: list[Rule] = [
    check_references,
    check_reachable,
    check_ways_out,
    check_silent_loops,
    check_person,
    check_queue_callbacks,
    check_announced_keys,
    check_prompt_length,
    check_option_count,
    check_shared_speech_words,
]
