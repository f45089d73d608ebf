"""Protocol numbers: typed on a keypad, caught when mistyped, never handed out twice."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ivr.storage.db import write_engine
from tests.strategies import protocols
from tests.tickets_bridge.conftest import sp
from tickets_bridge.protocol import (
    InvalidProtocol,
    is_valid,
    next_protocol,
    parse,
    spoken_groups,
    spoken_protocol,
)


@given(protocols(), st.data())
def test_every_single_wrong_digit_is_caught(protocol: str, data: st.DataObject) -> None:
    place = data.draw(st.integers(0, len(protocol) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != protocol[place]]))
    assert is_valid(protocol)
    assert not is_valid(protocol[:place] + wrong + protocol[place + 1 :])


@given(protocols(), st.data())
def test_every_swap_of_two_neighbours_is_caught(protocol: str, data: st.DataObject) -> None:
    place = data.draw(
        st.sampled_from([i for i in range(11) if protocol[i] != protocol[i + 1]] or [None])
    )
    if place is None:  # all digits equal: no swap changes anything
        return
    swapped = protocol[:place] + protocol[place + 1] + protocol[place] + protocol[place + 2 :]
    assert not is_valid(swapped)


def test_a_protocol_is_twelve_digits_starting_with_the_sao_paulo_date(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        # 22h30 in São Paulo is already the next day in UTC: the date is São Paulo's.
        first = next_protocol(session, sp(2026, 12, 1, 22, 30))
        second = next_protocol(session, sp(2026, 12, 1, 22, 31))
        tomorrow = next_protocol(session, sp(2026, 12, 2, 8))
    assert first.isdigit() and len(first) == 12
    assert first.startswith("26120100001") and second.startswith("26120100002")
    assert tomorrow.startswith("26120200001")
    assert all(is_valid(p) for p in (first, second, tomorrow))


def test_a_rolled_back_ticket_gives_its_number_back(engine: Engine) -> None:
    with Session(engine) as session:
        session.begin()
        lost = next_protocol(session, sp(2026, 12, 1, 10))
        session.rollback()
    with Session(engine) as session, session.begin():
        assert next_protocol(session, sp(2026, 12, 1, 10)) == lost


def test_concurrent_writers_never_share_a_number(engine: Engine) -> None:
    """Eight connections at once, as eight web processes would be."""
    writer = write_engine(engine)
    made: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            with Session(writer) as session, session.begin():
                protocol = next_protocol(session, sp(2026, 12, 1, 10))
            with lock:
                made.append(protocol)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 80
    assert len(set(made)) == 80


def test_spoken_in_groups_of_three_with_meia_for_six() -> None:
    assert spoken_groups("261201000427") == [
        "dois meia um",
        "dois zero um",
        "zero zero zero",
        "quatro dois sete",
    ]
    assert spoken_protocol("261201000427") == (
        "dois meia um, dois zero um, zero zero zero, quatro dois sete"
    )


def test_parse_ignores_separators_and_refuses_a_wrong_check_digit() -> None:
    good = next(g for g in (f"26120100001{d}" for d in "0123456789") if is_valid(g))
    assert parse(f"{good[:6]} {good[6:]}") == good
    with pytest.raises(InvalidProtocol):
        parse(good[:-1] + str((int(good[-1]) + 1) % 10))
    with pytest.raises(InvalidProtocol):
        parse(good[:-1])
