"""Member numbers as shown and as people type them."""

from __future__ import annotations

import pytest

from service.domain.numbers import member_number, parse_member_number


def test_a_number_is_shown_with_the_region_in_capitals_and_four_digits() -> None:
    assert member_number("ama", 42) == "AMA-0042"
    assert member_number("ama", 12345) == "AMA-12345"
    assert member_number("kami-yama", 7) == "KAMI-YAMA-0007"


@pytest.mark.parametrize("region, typed, number", [
    ("ama", "AMA-0042", 42), ("ama", "ama0042", 42), ("ama", "Ama 42", 42),
    ("ama", "ＡＭＡ－００４２", 42), ("ama", "AMAー0042", 42), ("ama", "42", 42),
    ("ama", "\u3000０４２\u3000", 42), ("kami-yama", "KAMI-YAMA-0007", 7),
    ("kami-yama", "kamiyama 7", 7), ("ama", "AMA-12345", 12345),
    ("ama", "AMA-0000", None), ("ama", "BIWA-0042", None), ("ama", "AMAX42", None),
    ("ama", "", None), ("ama", "٤٢", None), ("ama", "4.2", None), ("ama", "1" * 10, None),
])
def test_what_people_type_is_read_as_the_number_they_mean(region: str, typed: str,
                                                          number: int | None) -> None:
    assert parse_member_number(region, typed) == number
