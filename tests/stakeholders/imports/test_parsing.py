"""Reading files: no database, just rows of text with the numbers a spreadsheet shows."""

import datetime

import pytest

from stakeholders.imports.parsing import FileProblem, cell_text, normalise_header, open_table

from .conftest import FILES, xlsx_bytes


def read(path):
    with open_table(path) as table:
        return table, list(table.rows())


def test_headers_are_matched_case_and_space_blind():
    assert normalise_header(" Country of Origin ") == "country_of_origin"
    assert normalise_header("\ufeffWomen-led") == "women_led"


def test_good_csv_rows_are_numbered_from_two():
    table, rows = read(FILES / "stakeholders_good.csv")
    assert table.format == "csv" and table.delimiter == ","
    assert table.headers[:3] == ["name", "kind", "country"]
    assert [row.number for row in rows] == [2, 3, 4]
    assert rows[2].values["description"] == "Research on climate, security and displacement."
    assert not any(row.problem for row in rows)


def test_semicolons_and_a_byte_order_mark_are_fine():
    table, rows = read(FILES / "stakeholders_semicolon_bom.csv")
    assert table.delimiter == ";"
    assert table.headers == ["name", "kind", "country", "women_leadership_share"]
    assert rows[0].values["women_leadership_share"] == "0,6"


def test_unterminated_quote_is_a_row_problem():
    _, rows = read(FILES / "stakeholders_truncated.csv")
    assert rows[0].number == 2 and not rows[0].problem
    assert rows[1].number == 3
    assert "cut off in the middle of this row" in rows[1].problem


def test_row_cut_short_is_a_row_problem():
    _, rows = read(FILES / "stakeholders_cut_row.csv")
    assert rows[-1].number == 4
    assert "has 1 cells but the header has 3 columns" in rows[-1].problem


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("stakeholders_latin1.csv", "not UTF-8 text: line 2 has the byte 0xE9"),
        ("stakeholders_utf16.csv", "UTF-16"),
        ("empty.csv", "The file is empty"),
    ],
)
def test_whole_file_problems_say_what_to_do(name, expected):
    with pytest.raises(FileProblem) as excinfo:
        read(FILES / name)
    assert expected in excinfo.value.message


def test_latin1_message_shows_the_text_and_asks_for_utf8():
    with pytest.raises(FileProblem) as excinfo:
        read(FILES / "stakeholders_latin1.csv")
    assert "Société" in excinfo.value.message
    assert "CSV UTF-8" in excinfo.value.message


def test_duplicate_header_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("name,kind,Name\nA,ngo,B\n")
    with pytest.raises(FileProblem, match="names the column 'name' twice"):
        read(path)


def test_xlsx_cells_read_as_the_text_a_person_typed(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [
                ["Name", "Kind", "Strength", "Start date", "Women led", "Code"],
                ["A", "ngo", 0.25, datetime.datetime(2024, 3, 1), True, 15170],
                [None, None, None, None, None, None],
                ["B", "firm", 1.0, datetime.date(2020, 1, 31), False, 15220.0],
            ]
        )
    )
    table, rows = read(path)
    assert table.format == "xlsx" and table.total_rows == 3
    assert [row.number for row in rows] == [2, 4]
    assert rows[0].values == {
        "name": "A",
        "kind": "ngo",
        "strength": "0.25",
        "start_date": "2024-03-01",
        "women_led": "true",
        "code": "15170",
    }
    assert rows[1].values["code"] == "15220"


def test_truncated_xlsx_is_not_a_valid_workbook(tmp_path):
    content = xlsx_bytes([["name", "kind"], *[[f"Actor {n}", "ngo"] for n in range(200)]])
    path = tmp_path / "cut.xlsx"
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(FileProblem) as excinfo:
        read(path)
    assert "not a valid XLSX workbook" in excinfo.value.message
    assert "truncated" in excinfo.value.message


def test_csv_named_xlsx_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("name,kind\nA,ngo\n")
    with pytest.raises(FileProblem, match="not a valid XLSX workbook"):
        read(path)


def test_cell_text():
    assert cell_text(None) == ""
    assert cell_text(12.0) == "12"
    assert cell_text(0.1) == "0.1"
    assert cell_text("  padded ") == "padded"
