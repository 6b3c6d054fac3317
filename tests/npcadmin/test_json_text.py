"""The one JSON pretty-printer (npcadmin.jsonb.json_text), shared by the console and the mind pages."""

from npcadmin.jsonb import json_text


def test_values_and_json_strings_are_indented_with_sorted_keys():
    assert json_text({"b": 1, "a": [1]}) == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'
    assert json_text(' {"b": "é", "a": 2}') == '{\n  "a": 2,\n  "b": "é"\n}'


def test_text_that_is_not_json_is_left_to_the_caller():
    assert json_text("attack the village") is None
    assert json_text("{not json") is None
