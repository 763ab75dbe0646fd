"""Reading hashtags and plain headers (pure functions, no database)."""

import pytest

from threew import hxl


@pytest.mark.parametrize(
    ("tag", "field"),
    [
        ("#org", "org.name"),
        ("#ORG +impl", "impl.name"),
        ("#org+name+impl", "impl.name"),
        ("#org +funder +code", "funder.code"),
        ("#org+code+funder", "funder.code"),
        ("#org+donor", "funder.name"),
        ("#org+type", "org.type"),
        ("#org+impl+type", "impl.type"),
        ("#org+partner", "partner.name"),
        ("#Sector+Cluster", "sector"),
        ("#sector+code", "sector.code"),
        ("#adm1+name", "adm1"),
        ("#adm1+code", "adm1.code"),
        ("#country+code", "country.code"),
        ("#date +end", "date.end"),
        ("#date+start", "date.start"),
        ("#activity+name", "activity"),
        ("#status", "status"),
        ("#affected+f", None),
        ("#org+acronym", None),
        ("Organisation", None),
        ("# of people", None),
        ("", None),
    ],
)
def test_tags_are_read_case_blind_with_attributes_in_any_order(tag, field):
    assert hxl.field_for_tag(tag) == field


def test_the_hashtag_row_is_told_from_a_header_row():
    assert hxl.is_hashtag_row(["#org", "#sector", "", "#adm1", "Notes"])
    assert not hxl.is_hashtag_row(["Organisation", "Cluster", "#adm1"])
    assert not hxl.is_hashtag_row(["", ""])


def test_plain_headers_are_guessed_and_a_mapping_wins_over_the_guess():
    headers = ["Organisation", "Org type", "Region", "Activity", "Sector", "Budget"]
    guessed = hxl.columns_from_headers(headers)
    assert guessed.fields == {
        "org.name": 0,
        "org.type": 1,
        "adm1": 2,
        "activity": 3,
        "sector": 4,
    }
    assert guessed.ignored == ["column 6 (Budget): not read"]
    mapped = hxl.columns_from_headers(
        headers, mapping={"organisation": "#org+impl", "REGION": "#country", "Sector": ""}
    )
    assert mapped.fields["impl.name"] == 0 and mapped.fields["country"] == 2
    assert "org.name" not in mapped.fields and "sector" not in mapped.fields


def test_a_second_column_with_the_same_tag_is_ignored_and_said():
    columns = hxl.columns_from_tags(["#org", "#org+name", "#sector"], row_number=2)
    assert columns.fields == {"org.name": 0, "sector": 2}
    assert columns.ignored == ["column 2 (#org+name): a second #org, not read"]


def test_map_option_text_is_parsed_and_bad_parts_named():
    assert hxl.mapping_parse("Organisation=#org, Region=#adm1 ,Notes=-") == {
        "Organisation": "#org",
        "Region": "#adm1",
        "Notes": "",
    }
    with pytest.raises(hxl.MappingError, match="'Organisation' is not of the form"):
        hxl.mapping_parse("Organisation")
    with pytest.raises(hxl.MappingError, match="'#budget' \\(for column 'Money'\\)"):
        hxl.mapping_parse("Money=#budget")
