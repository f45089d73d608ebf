"""The node kinds a menu document may use, one module each.

To add a kind (callback, ticket-status, survey …): write
``ivr/menus/nodes/<kind>.py`` with its model, ``enter`` / ``resume`` and a
``KIND = NodeKind(...)``, then add it to ``_ALL`` below. The loader, the
linter and the engine only ever look kinds up here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ivr.menus.nodes import (
    callback,
    goto,
    hangup,
    hours,
    menu,
    message,
    survey,
    ticket_status,
    transfer,
    voicemail,
)
from ivr.menus.nodes.base import NodeKind, NodeModel

_ALL: tuple[NodeKind, ...] = (
    menu.KIND,
    message.KIND,
    transfer.KIND,
    voicemail.KIND,
    hours.KIND,
    goto.KIND,
    hangup.KIND,
    ticket_status.KIND,
    callback.KIND,
    survey.KIND,
)

KINDS: Mapping[str, NodeKind] = MappingProxyType({kind.name: kind for kind in _ALL})
"""Node kinds by their YAML name."""

BY_MODEL: Mapping[type[NodeModel], NodeKind] = MappingProxyType({k.model: k for k in _ALL})
"""Node kinds by their model class: how the engine finds a node's behaviour."""

__all__ = ["BY_MODEL", "KINDS", "NodeKind", "NodeModel"]
