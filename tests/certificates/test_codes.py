from __future__ import annotations

import pytest

from certificates.codes import (
    ALPHABET,
    CODE_RE,
    generate_code,
    normalize_code,
)


def test_generated_codes_carry_60_random_bits():
    # Twelve random positions, each taking every one of 32 symbols: 12 x 5 bits. With
    # 3,000 codes a symbol missing at a position by chance has odds below 1e-40.
    codes = [generate_code("BLS").removeprefix("BLS-") for _ in range(3000)]
    randoms = [code.replace("-", "") for code in codes]
    assert {len(r) for r in randoms} == {12}
    for position in range(12):
        assert len({r[position] for r in randoms}) == 32


def test_alphabet_has_no_look_alike_characters():
    assert not set("01OI") & set(ALPHABET)


def test_generated_code_is_course_code_and_three_groups_of_four():
    code = generate_code("BLS")
    prefix, *groups = code.split("-")
    assert prefix == "BLS"
    assert [len(g) for g in groups] == [4, 4, 4]
    assert set("".join(groups)) <= set(ALPHABET)
    assert CODE_RE.match(code)


def test_generated_codes_do_not_repeat():
    codes = {generate_code("ACLS") for _ in range(5000)}
    assert len(codes) == 5000


def test_prefix_keeps_only_letters_and_digits():
    assert generate_code("cpr-aed").startswith("CPRAED-")


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("BLS-7KQ4-M2XD-9TRA", "BLS-7KQ4-M2XD-9TRA"),
        ("bls-7kq4-m2xd-9tra", "BLS-7KQ4-M2XD-9TRA"),
        ("  BLS 7KQ4 M2XD 9TRA ", "BLS-7KQ4-M2XD-9TRA"),
        ("BLS\u20137KQ4\u2013M2XD\u20139TRA", "BLS-7KQ4-M2XD-9TRA"),
        ("bls7kq4m2xd9tra", "BLS-7KQ4-M2XD-9TRA"),
        ("ACLS--7KQ4-M2XD-9TRA", "ACLS-7KQ4-M2XD-9TRA"),
    ],
)
def test_codes_typed_by_people_normalize_to_the_printed_form(typed, canonical):
    assert normalize_code(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "BLS",
        "BLS-7KQ4-M2XD",
        "BLS-7KQ4-M2XD-9TR0",
        "BLS-7KQ4-M2XD-9TRA-AAAA",
        "<script>",
    ],
)
def test_things_that_cannot_be_codes_normalize_to_empty(typed):
    assert normalize_code(typed) == ""
