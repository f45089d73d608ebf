"""YAML text -> ``Menu``, with every problem located by line and column.

The text is composed (not constructed) with PyYAML so every value keeps its
mark; duplicate keys, which PyYAML would silently collapse, are reported; the
values are checked by the pydantic models (the document head here, each node
by its kind's model) and the errors mapped back to marks; then the graph rules
of ``ivr.menus.lint`` run. ``load_menu`` fails with every problem at once.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from babel.dates import format_date
from pydantic import BaseModel, ValidationError

from hours.schedule import Schedule
from hours.schedules_section import ScheduleError, parse_schedules
from hours.validation import say
from ivr.menus.document import DocumentHead, Menu, ProductLine
from ivr.menus.lint import LintInput, lint
from ivr.menus.nodes import KINDS, NodeModel
from ivr.menus.nodes.base import Loc
from ivr.menus.nodes.menu import Option
from ivr.menus.problems import MenuInvalid, MenuProblem, Severity, did_you_mean

__all__ = ["Menu", "MenuInvalid", "MenuProblem", "check_menu", "load_menu", "read_menu_file"]

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAX_DEPTH = 64
# Values in one document, aliases expanded: a real menu has hundreds. Aliases
# nested in aliases ("billion laughs") would otherwise expand for hours.
_MAX_VALUES = 100_000

# Every field name the schema knows, for "did you mean …?" hints.
_FIELDS: frozenset[str] = frozenset(
    name
    for model in (DocumentHead, ProductLine, Option, *(k.model for k in KINDS.values()))
    for name in model.model_fields
)


def check_menu(text: str, filename: str = "menus.yaml") -> list[MenuProblem]:
    """Every problem of a menu document (errors and warnings), in file order.

    Never raises: an empty list means the document loads cleanly.
    """
    try:
        problems, _ = _load(text, filename)
    except Exception as exc:  # a bug of ours must not hide the document's problems
        problems = [MenuProblem(filename, 1, 1, "", f"erro interno ao verificar: {exc!r}")]
    return problems


def load_menu(text: str, filename: str = "menus.yaml") -> Menu:
    """The validated menu; raises ``MenuInvalid`` listing every problem if any is an error."""
    problems, menu = _load(text, filename)
    if menu is None or any(p.severity == "error" for p in problems):
        raise MenuInvalid(problems)
    return menu


def read_menu_file(path: Path | str) -> str:
    """A menu file's text; raises ``MenuInvalid`` at the first byte that is not UTF-8."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        message = (
            f"o arquivo não está em UTF-8: o byte 0x{data[exc.start]:02x} não pode ser lido "
            "(salve o arquivo como UTF-8)"
        )
        raise MenuInvalid([MenuProblem(str(path), line, col, "", message)]) from None


class _Places:
    """Marks of every key and value by path, and the problems found so far."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.values: dict[Loc, tuple[int, int]] = {}
        self.keys: dict[Loc, tuple[int, int]] = {}
        self.unquoted_keys: list[Loc] = []
        self.problems: list[MenuProblem] = []
        self.values_left = _MAX_VALUES
        # Places whose value YAML itself could not read: what the schema or the
        # calendar says later about the same value would only repeat it.
        self.bad_values: set[tuple[int, int]] = set()
        self._said: set[tuple[int, int, str]] = set()

    def add(
        self,
        path: Loc,
        message: str,
        *,
        severity: Severity = "error",
        at_key: bool = False,
        shown: Loc | None = None,
    ) -> None:
        """Report a problem at ``path`` (its key's mark if ``at_key``), or the
        nearest enclosing place that has a mark; ``shown`` overrides the path printed."""
        line, col = 1, 1
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            mark = (self.keys if at_key and end == len(path) else self.values).get(prefix)
            if mark is None and at_key:
                mark = self.values.get(prefix)
            if mark is not None:
                line, col = mark
                break
        if (line, col) in self.bad_values or (line, col, message) in self._said:
            return  # already said there (a value shared through a YAML alias is seen twice)
        self._said.add((line, col, message))
        dotted = ".".join(str(part) for part in (path if shown is None else shown))
        self.problems.append(MenuProblem(self.filename, line, col, dotted, message, severity))

    def __call__(
        self, path: Loc, message: str, *, severity: Severity = "error", at_key: bool = False
    ) -> None:
        self.add(path, message, severity=severity, at_key=at_key)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _compose(text: str, places: _Places) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = ": ".join(_yaml_words(part) for part in (exc.context, exc.problem) if part)
        places.problems.append(
            MenuProblem(places.filename, line, col, "", f"YAML inválido: {reason or exc}")
        )
    except yaml.reader.ReaderError as exc:  # a bad character: a position, not a mark
        # libyaml (the C loader) counts UTF-8 bytes, PyYAML's own reader characters.
        if _Loader is yaml.SafeLoader:
            before = text[: exc.position]
        else:
            before = text.encode("utf-8")[: exc.position].decode("utf-8", "replace")
        line, col = before.count("\n") + 1, len(before) - before.rfind("\n")
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        message = (
            f"YAML inválido: caractere U+{ord(character):04X} não aceito: {_yaml_words(exc.reason)}"
        )
        places.problems.append(MenuProblem(places.filename, line, col, "", message))
    except yaml.YAMLError as exc:
        places.problems.append(MenuProblem(places.filename, 1, 1, "", f"YAML inválido: {exc}"))
    return None


def _plain(node: yaml.Node, path: Loc, places: _Places, depth: int = 0) -> Any:
    """The Python value of a composed node, recording marks and duplicate keys."""
    places.values[path] = _mark(node)
    places.values_left -= 1
    if places.values_left < 0:
        if places.values_left == -1:
            places.add(
                path,
                f"mais de {_MAX_VALUES} valores: há um alias (*nome) repetido dentro de "
                "outros aliases?",
            )
        return None
    if depth > _MAX_DEPTH:
        places.add(path, "aninhamento profundo demais")
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                places.values[(*path, "?")] = _mark(key_node)
                places.add(
                    (*path, "?"), "uma chave deve ser texto, não uma lista nem um mapeamento"
                )
                continue
            if key_node.tag == _MERGE_TAG:
                places.values[(*path, "<<")] = _mark(key_node)
                places.add((*path, "<<"), "chaves de mesclagem do YAML (<<) não são aceitas")
                continue
            # Keys are always names here: take the text as written ("1", "yes", "01").
            key = key_node.value
            key_path = (*path, key)
            if key in first_seen:
                line, col = _mark(key_node)
                first_line = first_seen[key][0]
                places.problems.append(
                    MenuProblem(
                        places.filename,
                        line,
                        col,
                        ".".join(str(p) for p in key_path),
                        f"chave {key!r} repetida (já definida na linha {first_line})",
                    )
                )
                continue
            first_seen[key] = places.keys[key_path] = _mark(key_node)
            if key_node.tag != _STR_TAG and not key_node.style:  # plain (C loader: "")
                places.unquoted_keys.append(key_path)
            result[key] = _plain(value_node, key_path, places, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, i), places, depth + 1) for i, item in enumerate(node.value)]
    try:
        return yaml.constructor.SafeConstructor().construct_object(node)
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # "=", a bad date, a foreign tag
        line, col = _mark(node)
        if (line, col) not in places.bad_values:  # an alias repeats the same value
            places.bad_values.add((line, col))
            dotted = ".".join(str(part) for part in path)
            places.problems.append(
                MenuProblem(places.filename, line, col, dotted, _unreadable(node, exc))
            )
        return node.value


_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _unreadable(node: yaml.Node, exc: Exception) -> str:
    """Why YAML could not read a value, e.g. a date that does not exist."""
    found = _DATE.match(str(node.value)) if node.tag == _TIMESTAMP_TAG else None
    if found is not None:
        year, month, day = (int(part) for part in found.groups())
        if not 1 <= month <= 12:
            return f"data inexistente: {node.value} (não existe o mês {month})"
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            month_name = format_date(date(year, month, 1), "MMMM 'de' y", locale="pt_BR")
            return f"data inexistente: {node.value} ({month_name} tem {last} dias)"
    reason = getattr(exc, "problem", None) or str(exc)
    return f"valor YAML inválido: {_yaml_words(reason)}"


# PyYAML's English, as a supervisor reads it; anything else is shown as it is.
_YAML_WORDS = [
    (r"while parsing a flow mapping", "ao ler um mapeamento entre {}"),
    (r"while parsing a flow sequence", "ao ler uma lista entre []"),
    (r"while parsing a block mapping", "ao ler um mapeamento"),
    (r"while parsing a block collection", "ao ler uma lista"),
    (r"while parsing a block node", "ao ler um valor"),
    (r"while parsing a flow node", "ao ler um valor"),
    (r"while scanning a simple key", "ao ler uma chave"),
    (r"while scanning a quoted scalar", "ao ler um texto entre aspas"),
    (r"while scanning an alias", "ao ler um alias"),
    (r"while scanning an anchor", "ao ler uma âncora"),
    (r"while composing a mapping", "ao montar um mapeamento"),
    (r"did not find expected key", "faltou uma chave"),
    (r"did not find expected ',' or '(.)'", r"faltou ',' ou '\1'"),
    (r"could not find expected ':'", "faltou ':'"),
    (r"mapping values are not allowed here", "não cabe 'chave: valor' aqui"),
    (
        r"found character '(.*)' that cannot start any token",
        r"o caractere '\1' não pode abrir um valor",
    ),
    (r"found unexpected end of stream", "o arquivo terminou antes da hora"),
    (r"found undefined alias '?([^']*)'?", r"alias '\1' não definido"),
    (r"found duplicate anchor.*", "âncora repetida"),
    (r"expected the node content, but found '(.*)'", r"esperava um valor, encontrou '\1'"),
    (r"expected <block end>, but found '(.*)'", r"recuo inesperado: '\1'"),
    (r"control characters are not allowed", "caracteres de controle não são permitidos"),
    (r"special characters are not allowed", "caracteres especiais não são permitidos"),
    (r"could not determine a constructor for the tag '(.*)'", r"tag desconhecida '\1'"),
    (r"day is out of range for month", "dia inexistente no mês"),
    (r"month must be in 1\.\.12", "o mês vai de 1 a 12"),
]


def _yaml_words(text: str) -> str:
    for english, portuguese in _YAML_WORDS:
        text = re.sub(english, portuguese, text)
    return text


def _report_validation(exc: ValidationError, prefix: Loc, places: _Places) -> None:
    for err in exc.errors(include_url=False):
        kind = err["type"]
        path: Loc = prefix
        at_key = False
        for part in err["loc"]:
            if part == "[key]":
                at_key = True
            elif (*path, part) in places.values:
                path = (*path, part)
            # other parts (union members, a missing field) have no place in the file
        last = err["loc"][-1] if err["loc"] else ""
        if kind == "missing":
            places.add(path, f"falta o campo obrigatório {last!r}", shown=(*path, last))
            continue
        if kind == "extra_forbidden":
            hint = did_you_mean(str(last), _FIELDS, cutoff=0.75)
            places.add(path, f"campo desconhecido {last!r}{hint}", at_key=True)
            continue
        places.add(path, say(err), at_key=at_key)


def _validate(model: type[BaseModel], raw: Any, prefix: Loc, places: _Places) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        _report_validation(exc, prefix, places)
        return None


def _node(node_id: str, raw: Any, places: _Places) -> NodeModel | None:
    path: Loc = ("nodes", node_id)
    known = ", ".join(KINDS)
    if not isinstance(raw, dict):
        places.add(path, f"um nó deve ser um mapeamento com 'kind' ({known})")
        return None
    if "kind" not in raw:
        places.add(path, f"falta o campo obrigatório 'kind' ({known})", shown=(*path, "kind"))
        return None
    kind = raw["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        hint = difflib.get_close_matches(str(kind), list(KINDS), n=1)
        suggestion = f"você quis dizer {hint[0]!r}? " if hint else ""
        message = f"tipo de nó desconhecido {kind!r} ({suggestion}tipos: {known})"
        places.add((*path, "kind"), message)
        return None
    return _validate(KINDS[kind].model, raw, path, places)


def _load(text: str, filename: str) -> tuple[list[MenuProblem], Menu | None]:
    places = _Places(filename)
    root = _compose(text, places)
    if places.problems:
        return places.problems, None
    if root is None:
        places.add((), "documento vazio: esperava um mapeamento com 'start', 'lines' e 'nodes'")
        return places.problems, None
    raw = _plain(root, (), places)
    if not isinstance(raw, dict):
        places.add((), "um documento de menu deve ser um mapeamento com 'start', 'lines' e 'nodes'")
        return _sorted(places.problems), None

    head = _validate(DocumentHead, raw, (), places)
    nodes: dict[str, NodeModel] = {}
    failed: dict[str, Any] = {}
    complete = head is not None
    raw_nodes = raw.get("nodes")
    if isinstance(raw_nodes, dict):
        for node_id, raw_node in raw_nodes.items():
            node = _node(node_id, raw_node, places)
            if node is None:
                complete = False
                failed[node_id] = raw_node
            else:
                nodes[node_id] = node
    for key_path in places.unquoted_keys:
        if len(key_path) >= 2 and key_path[-2] == "options":
            places.add(
                key_path,
                f"tecla DTMF {key_path[-1]} sem aspas: escreva '{key_path[-1]}', "
                "pois o YAML lê dígitos soltos como números e # como comentário",
                severity="warning",
                at_key=True,
            )

    raw_lines = raw.get("lines")
    raw_schedules = raw.get("schedules")
    schedules = _schedules(raw_schedules, places)
    lint(
        LintInput(
            start=raw.get("start") if isinstance(raw.get("start"), str) else None,
            lines=head.lines if head is not None else _dict_keys(raw_lines),
            schedules=_dict_keys(raw_schedules),
            nodes=nodes,
            node_ids=frozenset(raw_nodes) if isinstance(raw_nodes, dict) else frozenset(),
            failed=failed,
            complete=complete,
        ),
        places,
    )
    problems = _sorted(places.problems)
    if head is None or any(p.severity == "error" for p in problems):
        return problems, None
    menu = Menu(
        start=head.start,
        nodes=MappingProxyType(nodes),
        lines=MappingProxyType(dict(head.lines)),
        schedules=MappingProxyType(schedules),
        language=head.language,
        voice=head.voice,
        filename=filename,
    )
    return problems, menu


def _schedules(raw: Any, places: _Places) -> dict[str, Schedule]:
    """The calendar's own parser checks the ``schedules:`` section; we add the places."""
    try:
        return parse_schedules(raw)
    except ScheduleError as exc:
        for loc, message in exc.problems:
            places.add(loc, message)
        return {}


def _dict_keys(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _sorted(problems: list[MenuProblem]) -> list[MenuProblem]:
    return sorted(problems, key=lambda p: (p.line, p.col, p.path, p.message))
