from __future__ import annotations

import pytest

from corridor.exposure.parsing import ListError, parse

MESSY_CSV = """Контакт;Моб.;Доп;Комментарий;Дата
Ахмед;+7 (928) 123-45-67;;брат;15.03.2019
Ахмед (дубль);8 928 123 45 67;;;
Мама;8(928)765-43-21, +7 928 111 22 33;;;01.01.2020
Друг;;t.me/friend_x;;
Сосед;+7 928 12;;;
Пустой;;;;
Почта;;;x@example.org;
"""


def test_csv_with_odd_column_names_and_messy_numbers():
    parsed = parse(MESSY_CSV.encode("cp1251"), "export.csv")
    assert parsed.fmt == "csv"
    values = {(k, v) for _, k, v in parsed.entries}
    assert ("phone", "+79281234567") in values and ("phone", "+79287654321") in values
    assert ("phone", "+79281112233") in values and ("handle", "friend_x") in values
    assert ("email", "x@example.org") in values
    assert len(parsed.unique()) == 5  # the duplicate Ахмед counts once
    assert (6, "not_phone") in parsed.failures  # "+7 928 12" on line 6
    assert not any(line == 2 for line, _ in parsed.failures)  # the date column is not a phone


def test_csv_without_a_header_and_commas():
    parsed = parse(b"89281234567,Ivan\n+1 202 555 0143,John\n", "")
    assert parsed.fmt == "csv"
    assert {v for _, _, v in parsed.entries} == {"+79281234567", "+12025550143"}


def test_csv_with_a_broken_quote_reports_the_line():
    parsed = parse(b'name,phone\n"Ivan,89281234567\nPetr,89287654321\n', "x.csv")
    assert any(code == "csv_syntax" for _, code in parsed.failures) or parsed.entries


VCARD3 = """BEGIN:VCARD
VERSION:3.0
FN:Иван
TEL;TYPE=CELL:+7 928 123 45 67
TEL;TYPE=HOME:8 (8712) 22-33-44
EMAIL;TYPE=INTERNET:ivan@example.org
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Плохой
TEL:12
END:VCARD
"""

VCARD4 = """BEGIN:VCARD
VERSION:4.0
FN:Анна
TEL;VALUE=uri;TYPE="cell,voice":tel:+7-928-765-43-21
IMPP:telegram:anna_k
END:VCARD
"""


def test_vcard_3():
    parsed = parse(VCARD3.encode(), "contacts.vcf")
    assert parsed.fmt == "vcard"
    values = {v for _, _, v in parsed.entries}
    assert {"+79281234567", "+78712223344", "ivan@example.org"} <= values
    assert parsed.failures == [(8, "not_phone")]


def test_vcard_4():
    parsed = parse(VCARD4.encode())
    assert parsed.fmt == "vcard"
    assert {(k, v) for _, k, v in parsed.entries} == {("phone", "+79287654321"), ("handle", "anna_k")}


def test_a_broken_vcard_reports_its_line():
    parsed = parse(b"BEGIN:VCARD\nVERSION:3.0\nTEL:+79281234567\n")
    assert parsed.failures == [(1, "vcard_unclosed")]
    parsed = parse(b"hello\nBEGIN:VCARD\nVERSION:3.0\nTEL:+79281234567\nEND:VCARD\n")
    assert (1, "outside_vcard") in parsed.failures and parsed.entries


def test_plain_text_one_per_line():
    text = "+7 (928) 123-45-67\n8 928 123 45 67\n  \nмама\n@durov\n12345\n"
    parsed = parse(text.encode())
    assert parsed.fmt == "text"
    assert len(parsed.unique()) == 2
    assert parsed.failures == [(4, "no_identifier"), (6, "no_identifier")]


def test_binary_and_undecodable_files_are_refused():
    with pytest.raises(ListError) as exc:
        parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert exc.value.code == "binary"


def test_utf16_exports_are_read():
    parsed = parse("+79281234567\n".encode("utf-16"))
    assert parsed.entries[0][2] == "+79281234567"


def test_the_fast_path_for_russian_mobiles_agrees_with_phonenumbers():
    import random

    from corridor.crypto.normalize import phone
    from corridor.exposure.parsing import normalise_phone

    rng = random.Random(3)
    for _ in range(3000):
        d = "9" + "".join(rng.choice("0123456789") for _ in range(9))
        for written in (f"+7{d}", f"8{d}", f"7{d}", d, f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}",
                        f"8 {d[:3]} {d[3:]}", f"8({d[:3]}){d[3:]}"):
            assert normalise_phone(written) == phone(written), written


def test_the_memo_remembers_failures_too():
    from corridor.crypto.normalize import NotAnIdentifier
    from corridor.exposure.parsing import normalise_phone

    memo: dict = {}
    for _ in range(2):
        with pytest.raises(NotAnIdentifier):
            normalise_phone("+7 928 12", memo)
    assert memo == {"+792812": None}
