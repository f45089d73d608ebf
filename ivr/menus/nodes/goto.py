"""``goto``: jump to ``next`` (a named junction several nodes can share)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ivr.menus.nodes.base import Ident, Loc, NodeKind, NodeModel
from ivr.menus.turn import Turn


class GotoNode(NodeModel):
    kind: Literal["goto"]
    next: Ident

    def flow_targets(self) -> Iterator[tuple[Loc, str]]:
        yield ("next",), self.next


def enter(node: GotoNode, node_id: str, turn: Turn) -> str:
    return node.next


KIND = NodeKind("goto", GotoNode, enter)  # type: ignore[arg-type]
