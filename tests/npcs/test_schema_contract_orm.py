"""Contract, Django side: the admin/ORM path gets a ValidationError with a clear message, not a database error."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from npcs.choices import BEHAVIOR_WEIGHTS
from npcs.models import (
    NPC,
    NPCAlliance,
    NPCDecision,
    NPCMemory,
    NPCMessage,
    NPCRelationship,
    NPCWorldState,
    SchemaVersion,
)
from tests.factories.npcs import (
    NPCAllianceFactory,
    NPCFactory,
    NPCRelationshipFactory,
    NPCWorldStateFactory,
    template_for,
)

pytestmark = pytest.mark.django_db


def _errors(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


def _npc(**overrides) -> NPC:
    values = {"name": "Valid Vera", "tribe": "Gauls", "personality": "balanced",
              "behavior_template": template_for("balanced")}
    return NPC(**(values | overrides))


def test_a_valid_npc_passes_full_clean():
    _npc().full_clean()


@pytest.mark.parametrize("weight", BEHAVIOR_WEIGHTS)
@pytest.mark.parametrize("value", [1.01, -0.2])
def test_every_behaviour_weight_is_bounded(weight, value):
    template = template_for("balanced") | {weight: value}
    assert _errors(_npc(behavior_template=template)) == {
        "behavior_template": [f"{weight} must be between 0 and 1 (got {value})."]}


@pytest.mark.parametrize("value", ["high", True, float("nan"), [0.5]])
def test_a_behaviour_weight_must_be_a_number(value):
    errors = _errors(_npc(behavior_template=template_for("balanced") | {"economy": value}))
    assert errors == {"behavior_template": [f"economy must be a number between 0 and 1, not {value!r}."]}


def test_several_broken_weights_are_all_reported():
    errors = _errors(_npc(behavior_template={"aggression": 2, "patience": -1}))
    assert errors["behavior_template"] == ["aggression must be between 0 and 1 (got 2).",
                                           "patience must be between 0 and 1 (got -1)."]


def test_template_must_be_an_object_with_lists_of_names():
    assert _errors(_npc(behavior_template=[0.5])) == {
        "behavior_template": ["The behaviour template must be a JSON object."]}
    assert _errors(_npc(behavior_template={"goals": "win"})) == {
        "behavior_template": ["goals must be a list of names."]}


@pytest.mark.parametrize("value", [2.01, -0.01])
def test_llm_temperature(value):
    assert _errors(_npc(llm_temperature=value)) == {"llm_temperature": ["LLM temperature must be between 0.0 and 2.0."]}


@pytest.mark.parametrize(("field", "value"), [("tribe", "Elves"), ("personality", "chaotic")])
def test_npc_choices(field, value):
    assert _errors(_npc(**{field: value})) == {field: [f"Value '{value}' is not a valid choice."]}


def test_npc_name_unique():
    NPCFactory(name="Valid Vera")
    assert _errors(_npc()) == {NON_FIELD_ERRORS: ["An NPC with this name already exists."]}


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_threat_level(value):
    npc = NPCFactory()
    state = NPCWorldState(npc=npc, world_id="demo", player_id=1, threat_level=value)
    assert _errors(state) == {"threat_level": ["Threat level must be between 0.0 and 1.0."]}


def test_world_state_uniques():
    taken = NPCWorldStateFactory(world_id="demo", player_id=42)
    assert _errors(NPCWorldState(npc=taken.npc, world_id="demo", player_id=43)) == {
        NON_FIELD_ERRORS: ["This NPC already has a state in this world."]}
    assert _errors(NPCWorldState(npc=NPCFactory(), world_id="demo", player_id=42)) == {
        NON_FIELD_ERRORS: ["Another NPC already plays this player id in this world."]}


@pytest.mark.parametrize("value", [101, -101])
def test_trust_score(value):
    relationship = NPCRelationship(npc=NPCFactory(), world_id="demo", target_player_id=7, trust_score=value)
    assert _errors(relationship) == {"trust_score": ["Trust score must be between -100 and 100."]}


def test_relationship_unique_and_type():
    taken = NPCRelationshipFactory()
    twin = NPCRelationship(npc=taken.npc, world_id=taken.world_id, target_player_id=taken.target_player_id,
                           relationship_type="frenemy")
    assert _errors(twin) == {
        "relationship_type": ["Value 'frenemy' is not a valid choice."],
        NON_FIELD_ERRORS: ["This NPC already has a relationship with this player in this world."],
    }


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_memory_importance(value):
    memory = NPCMemory(npc=NPCFactory(), world_id="demo", memory_type="battle", event_data={"battle_id": 1},
                       importance=value, occurred_at=timezone.now())
    assert _errors(memory) == {"importance": ["Importance must be between 0.0 and 1.0."]}


@pytest.mark.parametrize(("model", "values", "field"), [
    (NPCMemory, {"memory_type": "dream", "event_data": {"a": 1}, "occurred_at": timezone.now()}, "memory_type"),
    (NPCDecision, {"decision_type": "whim", "situation_summary": "s", "final_decision": {"a": 1}}, "decision_type"),
])
def test_log_choices(model, values, field):
    obj = model(npc=NPCFactory(), world_id="demo", **values)
    assert _errors(obj) == {field: [f"Value '{values[field]}' is not a valid choice."]}


@pytest.mark.parametrize(("model", "field", "values"), [
    (NPCMemory, "npc", {"world_id": "demo", "memory_type": "battle", "event_data": {"a": 1},
                        "occurred_at": timezone.now()}),
    (NPCDecision, "npc", {"world_id": "demo", "decision_type": "economic", "situation_summary": "s",
                          "final_decision": {"a": 1}}),
    (NPCMessage, "from_npc", {"world_id": "demo", "to_player_id": 1, "message_body": "hi"}),
])
def test_log_rows_need_their_npc_in_django(model, field, values):
    """The seed leaves npc_id nullable (the engine may write such rows); the console does not."""
    assert _errors(model(**values)) == {field: ["This field cannot be blank."]}


def test_alliance_unique():
    taken = NPCAllianceFactory()
    twin = NPCAlliance(world_id=taken.world_id, alliance_id=taken.alliance_id, name="Twin", tag="TW")
    assert _errors(twin) == {NON_FIELD_ERRORS: ["This alliance id is already registered in this world."]}


def test_schema_version_unique():
    assert _errors(SchemaVersion(version="1.0.0")) == {NON_FIELD_ERRORS: ["This schema version is already recorded."]}
