"""The survey node: how a rating is understood, and what the linter says about a line's survey."""

from __future__ import annotations

import pytest

from ivr.menus.nodes.survey import rating_of
from tests.menus.test_loader import SMALL, problems


@pytest.mark.parametrize(
    ("digits", "speech", "rating"),
    [
        ("4", None, 4),
        ("1", None, 1),
        (None, "quatro", 4),
        (None, "nota 4", 4),
        (None, "nota quatro", 4),
        (None, "eu dou cinco", 5),
        (None, "Três.", 3),
        (None, "duas", 2),
        (None, "excelente", 5),
        (None, "péssimo", 1),
    ],
)
def test_a_rating_is_understood_by_key_and_as_people_say_it(digits, speech, rating):
    assert rating_of(digits, speech) == rating


@pytest.mark.parametrize(
    ("digits", "speech"),
    [("0", None), ("6", None), ("45", None), (None, "dez"), (None, "não sei"), (None, None)],
)
def test_anything_else_is_no_rating(digits, speech):
    assert rating_of(digits, speech) is None


WITH_SURVEY = SMALL.replace(
    "fiscal: {name: Fiscal, queue: suporte-fiscal}",
    "fiscal: {name: Fiscal, queue: suporte-fiscal, survey: pesquisa}",
) + ("  pesquisa:\n    kind: survey\n    comment: Se quiser, deixe um comentário.\n")


def test_a_lines_survey_is_reachable_after_its_transfers():
    assert problems(WITH_SURVEY) == []


def test_a_line_naming_a_missing_survey_or_another_kind_is_refused():
    missing = WITH_SURVEY.replace("survey: pesquisa}", "survey: pesquiza}")
    assert problems(missing) == [
        "m.yaml:3:57: lines.fiscal.survey: nó desconhecido 'pesquiza' (você quis dizer 'pesquisa'?)"
    ]
    not_a_survey = WITH_SURVEY.replace("survey: pesquisa}", "survey: recado}")
    assert [p.split(": ", 1)[1] for p in problems(not_a_survey)] == [
        "lines.fiscal.survey: o nó 'recado' não é uma pesquisa (kind: survey)",
        "nodes.pesquisa: nó inalcançável: nenhum caminho leva até ele a partir do início "
        "'principal'",
    ]
