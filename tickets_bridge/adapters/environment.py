"""An adapter's settings, read from the environment the same way by every adapter."""

from __future__ import annotations

from collections.abc import Mapping


def required(environ: Mapping[str, str], store: str, *names: str) -> list[str]:
    """The values of ``names``, in order; a ValueError naming every one that is unset or empty."""
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise ValueError(f"the {store} store needs {', '.join(missing)}")
    return [environ[name] for name in names]
