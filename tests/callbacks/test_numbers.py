"""Which numbers a caller may leave for a callback: only Brazilian fixed and mobile lines."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from callbacks.numbers import LineKind, NumberRefused, Refusal, callback_number
from tests.strategies import (
    BrazilianNumber,
    brazilian_numbers,
    keypad_digits,
    premium_numbers,
    short_numbers,
    typed_forms,
)

CALLER = "+5521988887777"


def _shared_cost_alone(number: BrazilianNumber) -> bool:
    """3003-xxxx, 4004-xxxx …: typed alone, a nationwide shared-cost number (refused)."""
    alone = phonenumbers.parse(number.subscriber, "BR")
    return phonenumbers.number_type(alone) == phonenumbers.PhoneNumberType.SHARED_COST


@given(st.data(), brazilian_numbers())
def test_a_number_typed_any_usual_way_is_the_same_e164(
    data: st.DataObject, number: BrazilianNumber
) -> None:
    typed = data.draw(typed_forms(number))
    result = callback_number(typed, CALLER)
    assert result.e164 == number.e164
    assert result.kind is (LineKind.MOBILE if number.mobile else LineKind.FIXED)
    assert result.area_code == number.area
    assert not result.area_code_assumed


@given(brazilian_numbers(), brazilian_numbers())
def test_without_an_area_code_the_callers_own_is_assumed_and_said_so(
    number: BrazilianNumber, caller: BrazilianNumber
) -> None:
    assume(not _shared_cost_alone(number))
    result = callback_number(number.subscriber, caller.e164)
    assert result.area_code_assumed
    assert result.area_code == caller.area
    assert result.e164 == f"+55{caller.area}{number.subscriber}"


@given(brazilian_numbers(), st.sampled_from([None, "", "anonymous", "client:ana", "+14155550100"]))
def test_without_an_area_code_and_no_usable_caller_id_the_caller_is_asked_for_it(
    number: BrazilianNumber, caller: str | None
) -> None:
    assume(not _shared_cost_alone(number))
    with pytest.raises(NumberRefused) as refused:
        callback_number(number.subscriber, caller)
    assert refused.value.reason is Refusal.NO_AREA_CODE
    assert "DDD" in refused.value.message


@given(premium_numbers, st.sampled_from(["", "+55"]))
def test_premium_shared_cost_and_toll_free_numbers_are_never_dialed(
    typed: str, prefix: str
) -> None:
    if prefix:
        typed = prefix + typed.lstrip("0")
    with pytest.raises(NumberRefused) as refused:
        callback_number(typed, CALLER)
    assert refused.value.reason in (Refusal.PREMIUM, Refusal.MALFORMED)


@pytest.mark.parametrize("typed", ["0300 123 4567", "05001234567", "09001234567", "40041234"])
def test_known_premium_numbers_are_refused_as_premium(typed: str) -> None:
    with pytest.raises(NumberRefused) as refused:
        callback_number(typed, CALLER)
    assert refused.value.reason is Refusal.PREMIUM
    assert "0900" in refused.value.message or "fixo ou celular" in refused.value.message


@pytest.mark.parametrize("typed", ["30031234", "40041234", "40201234"])
def test_a_nationwide_shared_cost_number_without_area_code_is_refused(typed: str) -> None:
    """Typed alone these reach a company's shared-cost line, not the caller's neighbour."""
    with pytest.raises(NumberRefused) as refused:
        callback_number(typed, CALLER)
    assert refused.value.reason is Refusal.PREMIUM


@pytest.mark.parametrize("typed", ["190", "192", "193", "112"])
def test_emergency_numbers_are_refused(typed: str) -> None:
    with pytest.raises(NumberRefused) as refused:
        callback_number(typed, CALLER)
    assert refused.value.reason is Refusal.EMERGENCY


@given(short_numbers)
def test_short_codes_are_never_dialed(typed: str) -> None:
    with pytest.raises(NumberRefused) as refused:
        callback_number(typed, CALLER)
    assert refused.value.reason in (Refusal.EMERGENCY, Refusal.SHORT_CODE, Refusal.EMPTY)


@given(st.sampled_from(["US", "PT", "AR", "GB", "DE", "CU", "SO"]), st.sampled_from(["+", "0021 "]))
def test_foreign_numbers_are_refused(region: str, prefix: str) -> None:
    example = phonenumbers.example_number(region)
    assert example is not None
    typed = f"{prefix}{example.country_code}{example.national_number}"
    with pytest.raises(NumberRefused) as refused:
        callback_number(typed, CALLER)
    assert refused.value.reason is Refusal.FOREIGN


@given(keypad_digits | st.text(max_size=20), st.sampled_from([None, CALLER, "anonymous"]))
def test_whatever_is_typed_only_a_brazilian_fixed_or_mobile_line_comes_out(
    typed: str, caller: str | None
) -> None:
    try:
        result = callback_number(typed, caller)
    except NumberRefused as refused:
        assert refused.message  # every refusal has words for the caller
        return
    parsed = phonenumbers.parse(result.e164, None)
    assert parsed.country_code == 55
    assert phonenumbers.is_valid_number(parsed)
    assert phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
    )


def test_an_old_eight_digit_mobile_is_refused_with_the_expected_length() -> None:
    with pytest.raises(NumberRefused) as refused:
        callback_number("11 8765 4321", CALLER)
    assert refused.value.reason is Refusal.MALFORMED
    assert "10 ou 11 dígitos" in refused.value.message
