"""Pydantic's validation errors, said in pt-BR for the supervisor who wrote the file.

Pydantic words its errors in English ("Input should be less than or equal to
600"); supervisors read pt-BR in the terminal and in the console. ``say``
turns one error of ``ValidationError.errors()`` into a short pt-BR sentence,
from the error's type and context; a type not listed keeps pydantic's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_BY_TYPE: dict[str, str] = {
    "dict_type": "esperava um mapeamento (chave: valor)",
    "model_type": "esperava um mapeamento (chave: valor)",
    "list_type": "esperava uma lista",
    "tuple_type": "esperava uma lista",
    "set_type": "esperava uma lista",
    "string_type": "esperava texto (use aspas se parecer um número)",
    "int_type": "esperava um número inteiro",
    "int_parsing": "esperava um número inteiro",
    "int_from_float": "esperava um número inteiro",
    "float_type": "esperava um número",
    "float_parsing": "esperava um número",
    "bool_type": "esperava true ou false",
    "bool_parsing": "esperava true ou false",
    "date_type": "esperava uma data AAAA-MM-DD",
    "date_parsing": "esperava uma data AAAA-MM-DD",
    "date_from_datetime_parsing": "esperava uma data AAAA-MM-DD",
    "date_from_datetime_inexact": "esperava uma data AAAA-MM-DD, sem hora",
    "datetime_type": "esperava data e hora AAAA-MM-DDTHH:MM",
    "datetime_parsing": "esperava data e hora AAAA-MM-DDTHH:MM",
    "datetime_from_date_parsing": "esperava data e hora AAAA-MM-DDTHH:MM",
    "greater_than": "deve ser maior que {gt}",
    "greater_than_equal": "deve ser no mínimo {ge}",
    "less_than": "deve ser menor que {lt}",
    "less_than_equal": "deve ser no máximo {le}",
    "string_too_short": "deve ter pelo menos {min_length} caractere(s)",
    "string_too_long": "deve ter no máximo {max_length} caracteres",
    "too_short": "precisa de pelo menos {min_length} item(ns)",
    "too_long": "aceita no máximo {max_length} itens",
    "literal_error": "deve ser {expected}",
    "enum": "deve ser {expected}",
    "missing": "falta o campo obrigatório {field!r}",
    "extra_forbidden": "campo desconhecido {field!r}",
}

# Types whose message already names what was given (a shown value adds nothing).
_NO_INPUT = frozenset({"missing", "extra_forbidden"})


def say(error: Mapping[str, Any]) -> str:
    """One pydantic error as pt-BR text, with the value given when it helps."""
    kind = str(error.get("type", ""))
    if kind in ("value_error", "assertion_error"):
        # Our own validators already speak pt-BR: drop pydantic's "Value error, ".
        message = str(error.get("msg", ""))
        return message.split(", ", 1)[1] if ", " in message else message
    template = _BY_TYPE.get(kind)
    if template is None:
        return str(error.get("msg", "")) + given(error.get("input"))
    context = {key: _spoken(value) for key, value in (error.get("ctx") or {}).items()}
    loc = error.get("loc") or ("",)
    context["field"] = str(loc[-1])
    try:
        message = template.format(**context)
    except (KeyError, IndexError):
        message = template.split(" {", 1)[0]
    return message if kind in _NO_INPUT else message + given(error.get("input"))


def given(value: Any) -> str:
    """``" (encontrado: …)"``: what the file held, for an error message."""
    if isinstance(value, dict):
        return " (encontrado: um mapeamento)"
    if isinstance(value, list):
        return " (encontrado: uma lista)"
    return f" (encontrado: {value!r})"


def _spoken(value: Any) -> str:
    # pydantic's "'a' or 'b'" lists: "'a' ou 'b'".
    return str(value).replace("' or '", "' ou '")
