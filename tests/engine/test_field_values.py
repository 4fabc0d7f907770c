"""Source values onto Front custom fields only when they fit (docs/vendor-guesses.md, "A custom field value
that does not fit its field"); the rest as description lines."""

from migrations_engine import field_values as fv

FIELDS = fv.definitions([
    {"name": "Account tier", "type": "enum", "values": [{"value": "Free"}, {"value": "Premium"}]},
    {"name": "Seats", "type": "number"}, {"name": "VIP", "type": "boolean"}, {"name": "Renewal", "type": "datetime"},
    {"name": "Region", "type": "string"}, {"name": "Owner", "type": "teammate"},
])


def test_values_that_fit_are_converted_and_the_rest_become_lines():
    kept, lines = fv.split({
        "Account tier": "premium", "Seats": "18", "VIP": "yes", "Renewal": "2021-02-15", "region": 42,
        "Owner": "ann@example.com", "Industry": "Retail", "Tags": ["a", "b"], "Empty": "", "None": None,
        "Legacy tier": "x",
    }, FIELDS)
    assert kept == {"Account tier": "Premium", "Seats": 18, "VIP": True, "Renewal": 1613347200, "Region": "42"}
    assert lines == ["Owner: ann@example.com", "Industry: Retail", "Tags: a, b", "Legacy tier: x"]


def test_values_that_do_not_fit_their_field_are_kept_as_lines():
    kept, lines = fv.split({"Account tier": "Legacy", "Seats": "many", "VIP": "maybe", "Renewal": "soon",
                            "Region": {"nested": 1}}, FIELDS)
    assert kept == {}
    assert lines == ["Account tier: Legacy", "Seats: many", "VIP: maybe", "Renewal: soon", "Region: {'nested': 1}"]


def test_description_joins_paragraphs_and_lines():
    assert fv.description(" HQ ", None, "", "Key account", lines=["Seats: 3", "VIP: Yes"]) == \
        "HQ\n\nKey account\n\nSeats: 3\nVIP: Yes"
    assert fv.description(None, lines=[]) == ""
    assert fv.text(True) == "Yes" and fv.text(3.0) == "3" and fv.text([1, None, "x"]) == "1, x"
