"""The menu state machine: (menu, state, caller event, context) -> Step.

Pure: no I/O, no clock (``ctx.now``), no validation (the loader did it).
``start`` answers the call's first request; ``advance`` every later one,
reading it according to ``state.node`` and ``state.expect``.

Nodes that take no input (message, goto, hours) chain into the next node
within the same step; the loader forbids loops among them and the engine
still stops a runaway chain. Every step ends with something that hands
control back (Gather + Redirect, Dial, Enqueue, Record + Redirect) or with
Hangup, and every state it emits counts one request further.

``Step.path`` lists the nodes entered during the step, in order; a menu
that re-prompts after a wrong key or silence counts as entered again.
"""

from __future__ import annotations

from ivr.menus.actions import CallState, Step
from ivr.menus.context import CallContext, CallerEvent
from ivr.menus.document import Menu
from ivr.menus.turn import Turn

MAX_CHAIN = 100  # nodes entered in one step; far beyond any sane menu


def start(menu: Menu, version: int, ctx: CallContext) -> Step:
    """The first step of a call: enter ``menu.start``."""
    turn = Turn(menu, ctx, version=version, step=0, line=None)
    return _run(turn, menu.start)


def advance(menu: Menu, state: CallState, event: CallerEvent, ctx: CallContext) -> Step:
    """Interpret the request that ``state`` was waiting for."""
    turn = Turn(menu, ctx, version=state.version, step=state.step, line=state.line, told=state.told)
    node = menu.nodes.get(state.node)
    if node is None:
        turn.fail(f"unknown node {state.node!r}")
        return turn.finish()
    following = menu.kinds[state.node].resume(node, state.node, state, event, turn)
    return _run(turn, following)


def _run(turn: Turn, node_id: str | None) -> Step:
    nodes = turn.menu.nodes
    kinds = turn.menu.kinds
    path = turn.path
    entered = 0
    while node_id is not None:
        entered += 1
        node = nodes.get(node_id)
        if node is None or entered > MAX_CHAIN:
            turn.fail(f"unknown node {node_id!r}" if node is None else "runaway chain of nodes")
            break
        path.append(node_id)
        node_id = kinds[node_id].enter(node, node_id, turn)
    return turn.finish()
