"""Property: whatever JSON is imported, the import either succeeds or refuses it whole.

No exception other than NPCImportError escapes, and a refused file leaves every table as it was.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npcs.models import NPC, NPCRelationship
from npcs.transfer import FORMAT, NPC_FIELDS, RELATIONSHIP_FIELDS, NPCImportError, npcs_import

pytestmark = pytest.mark.django_db

json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**40), max_value=2**40) | \
    st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)

VALID_NPC = {"name": "Prop", "tribe": "Gauls", "personality": "balanced",
             "behavior_template": {"aggression": 0.5, "economy": 0.5}}
VALID_REL = {"world_id": "demo", "target_player_id": 7, "trust_score": 5, "relationship_type": "ally"}


def _mutated(base: dict, fields: tuple[str, ...]):
    """`base` with some known fields replaced by arbitrary JSON, sometimes an unknown field added."""
    return st.builds(
        lambda changes, extra: {**base, **changes, **extra},
        st.dictionaries(st.sampled_from(fields), json_values, max_size=3),
        st.dictionaries(st.sampled_from(["colour", "id"]), json_values, max_size=1),
    )


relationships = st.lists(_mutated(VALID_REL, RELATIONSHIP_FIELDS), max_size=2) | json_values
npc_records = st.builds(lambda npc, rels: {**npc, "relationships": rels},
                        _mutated(VALID_NPC, NPC_FIELDS), relationships) | json_values
documents = st.builds(lambda npcs: {"format": FORMAT, "version": 1, "npcs": npcs},
                      st.lists(npc_records, max_size=3)) | json_values


def _state():
    return (sorted(NPC.objects.values_list("name", "behavior_template", "llm_temperature", "notes")),
            sorted(NPCRelationship.objects.values_list("world_id", "target_player_id", "trust_score")))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(document=documents, as_text=st.booleans())
def test_any_document_is_applied_whole_or_refused_whole(document, as_text):
    before = _state()
    try:
        data = json.dumps(document) if as_text else document
    except (ValueError, TypeError):
        return
    try:
        npcs_import(data=data, dry_run=True)
    except NPCImportError as exc:
        assert exc.errors and all(isinstance(e, str) and e for e in exc.errors)
    assert _state() == before  # a dry run never writes; a refused file neither
    try:
        npcs_import(data=data)
    except NPCImportError:
        assert _state() == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40) | st.binary(max_size=40))
def test_any_text_is_refused_cleanly(text):
    with pytest.raises(NPCImportError):  # no text of 40 characters is a valid export
        npcs_import(data=text)
    assert NPC.objects.count() == 0


@pytest.mark.parametrize("escaped", ["\\u0000", "\\ud800", "\\udfff"])
@pytest.mark.parametrize("where", ["notes", "goals", "relationship"])
def test_text_the_database_cannot_store_is_refused_whole(escaped, where):
    """JSON may spell a NUL or an unpaired surrogate; jsonb refuses the first and psycopg cannot
    encode the second (that one escaped as UnicodeEncodeError, not NPCImportError)."""
    text = json.loads(f'"x{escaped}"')
    record = {**VALID_NPC, "behavior_template": {**VALID_NPC["behavior_template"]}}
    if where == "notes":
        record["notes"] = text
    elif where == "goals":
        record["behavior_template"]["goals"] = [text]
    else:
        record["relationships"] = [{**VALID_REL, "relationship_type": text}]
    document = json.dumps({"format": FORMAT, "version": 1, "npcs": [record]})
    with pytest.raises(NPCImportError) as refused:
        npcs_import(data=document)
    assert "not allowed" in " ".join(refused.value.errors)
    assert NPC.objects.count() == 0
