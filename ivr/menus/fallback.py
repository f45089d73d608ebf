"""Where a caller goes when serving a step fails: choices made once per menu.

When a webhook fails inside, the caller hears an apology and takes a safe
route that runs none of the failing code (``ivr.telephony.voice``): while
the line is open, a queue this menu really has; while it is closed, a
voicemail. This module picks that queue, and says why a configured one
(``IVR_FALLBACK_QUEUE``) cannot be used.
"""

from __future__ import annotations

from collections import deque

from ivr.menus.document import Menu
from ivr.menus.nodes.transfer import CURRENT, TransferNode


def queues(menu: Menu) -> frozenset[str]:
    """Every agents' queue the menu can put a caller in."""
    found = {line.queue for line in menu.lines.values()}
    found.update(
        node.queue
        for node in menu.nodes.values()
        if isinstance(node, TransferNode) and node.queue is not None
    )
    return frozenset(found)


def first_queue(menu: Menu) -> str | None:
    """The first queue met going from ``start``, taking the way a caller who
    never chooses goes before the options: the menu's general attendants."""
    seen = {menu.start}
    waiting = deque([menu.start])
    while waiting:
        node = menu.nodes[waiting.popleft()]
        if isinstance(node, TransferNode):
            line = node.line if node.line != CURRENT else None
            if line is not None and line in menu.lines:
                return menu.lines[line].queue
            if node.queue is not None:
                return node.queue
        for _, target in (*node.flow_targets(), *node.choice_targets()):
            if target not in seen and target in menu.nodes:
                seen.add(target)
                waiting.append(target)
    return None


def fallback_queue(menu: Menu, configured: str) -> str | None:
    """The queue for a failed step while open: the configured one if the menu
    has it, else the menu's first; None when the menu has no queue at all."""
    if configured and configured in queues(menu):
        return configured
    return first_queue(menu)


def configured_queue_problem(menu: Menu, configured: str) -> str | None:
    """Why ``IVR_FALLBACK_QUEUE`` cannot be used with ``menu`` (one pt-BR line), or None."""
    known = queues(menu)
    if not configured or configured in known:
        return None
    listed = ", ".join(sorted(known)) or "nenhuma"
    return (
        f"IVR_FALLBACK_QUEUE={configured!r}: o menu publicado não tem essa fila "
        f"(filas do menu: {listed}); escolha uma delas ou deixe a variável vazia"
    )
