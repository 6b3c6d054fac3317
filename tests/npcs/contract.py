"""The seed's database contract (`../shared/spec/seed-schema.md`) as data, for the contract tests.

Written from the seed by hand, not read from the models: a test that compares the database with
this module fails when a migration drifts from the seed. Deviations from the seed's text are
the ones recorded in docs/schema.md (TIMESTAMPTZ, NOT NULL on columns with a DEFAULT, the
world-state key, the memory key) and are marked here where they show.
"""

from __future__ import annotations

TABLES = (
    "npcs", "npc_world_state", "npc_relationships", "npc_memory", "npc_decisions", "npc_alliances",
    "npc_messages", "npc_battle_history", "npc_trade_history", "schema_versions",
)

TSTZ = "timestamp with time zone"  # flaw 3: the seed's TIMESTAMP, with time zone

# (column, PostgreSQL type, NOT NULL) in the seed's column order.
# NOT NULL is True where the seed says NOT NULL, for keys, and for every column with a DEFAULT
# (docs/schema.md, "Columns with a DEFAULT are NOT NULL").
COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    "npcs": [
        ("id", "integer", True),
        ("uuid", "uuid", True),
        ("name", "character varying(100)", True),
        ("tribe", "character varying(50)", True),
        ("personality", "character varying(50)", True),
        ("behavior_template", "jsonb", True),
        ("llm_temperature", "double precision", True),
        ("decision_cache_ttl", "integer", True),
        ("strategic_update_frequency", "integer", True),
        ("active", "boolean", True),
        ("paused", "boolean", True),
        ("created_at", TSTZ, True),
        ("last_active", TSTZ, True),
        ("last_decision", TSTZ, False),
        ("total_decisions_made", "integer", True),
        ("llm_calls_made", "integer", True),
        ("battles_fought", "integer", True),
        ("villages_founded", "integer", True),
        ("version", "integer", True),
        ("notes", "text", False),
    ],
    "npc_world_state": [
        ("id", "integer", True),
        ("npc_id", "integer", True),
        ("world_id", "character varying(50)", True),
        ("player_id", "integer", True),
        ("rank", "integer", False),
        ("total_population", "integer", True),
        ("village_count", "integer", True),
        ("total_wood", "integer", True),
        ("total_clay", "integer", True),
        ("total_iron", "integer", True),
        ("total_wheat", "integer", True),
        ("offensive_power", "integer", True),
        ("defensive_power", "integer", True),
        ("total_troops", "integer", True),
        ("production_rate_wood", "integer", True),
        ("production_rate_clay", "integer", True),
        ("production_rate_iron", "integer", True),
        ("production_rate_wheat", "integer", True),
        ("current_strategy", "character varying(50)", False),
        ("strategic_goal", "text", False),
        ("threat_level", "double precision", True),
        ("alliance_id", "integer", False),
        ("alliance_role", "character varying(50)", False),
        ("state_updated_at", TSTZ, True),
        ("last_login", TSTZ, True),
    ],
    "npc_relationships": [
        ("id", "integer", True),
        ("npc_id", "integer", False),
        ("target_player_id", "integer", True),
        ("world_id", "character varying(50)", True),
        ("trust_score", "integer", True),
        ("relationship_type", "character varying(50)", False),
        ("total_interactions", "integer", True),
        ("last_interaction_type", "character varying(100)", False),
        ("last_interaction_at", TSTZ, False),
        ("battles_won_against", "integer", True),
        ("battles_lost_against", "integer", True),
        ("resources_raided_from", "integer", True),
        ("resources_lost_to", "integer", True),
        ("treaties_active", "jsonb", True),
        ("messages_sent", "integer", True),
        ("messages_received", "integer", True),
        ("known_villages", "jsonb", True),
        ("known_army_composition", "jsonb", False),
        ("activity_pattern", "jsonb", False),
        ("predicted_next_action", "character varying(100)", False),
        ("prediction_confidence", "double precision", False),
        ("predicted_at", TSTZ, False),
        ("created_at", TSTZ, True),
        ("updated_at", TSTZ, True),
    ],
    "npc_memory": [
        ("id", "bigint", True),
        ("npc_id", "integer", False),
        ("world_id", "character varying(50)", True),
        ("memory_type", "character varying(100)", True),
        ("event_data", "jsonb", True),
        ("importance", "double precision", True),
        ("emotional_weight", "double precision", True),
        ("occurred_at", TSTZ, True),
        ("game_day", "integer", False),
        ("related_player_ids", "integer[]", False),
        ("related_village_ids", "integer[]", False),
        ("lesson_learned", "text", False),
        ("behavior_adjustment", "jsonb", False),
        ("accessed_count", "integer", True),
        ("last_accessed", TSTZ, False),
        ("expires_at", TSTZ, False),
        ("created_at", TSTZ, True),
    ],
    "npc_decisions": [
        ("id", "bigint", True),
        ("npc_id", "integer", False),
        ("world_id", "character varying(50)", True),
        ("decision_type", "character varying(100)", True),
        ("situation_summary", "text", True),
        ("used_llm", "boolean", True),
        ("llm_prompt", "text", False),
        ("llm_response", "text", False),
        ("llm_latency_ms", "integer", False),
        ("rule_based_recommendation", "jsonb", False),
        ("final_decision", "jsonb", True),
        ("executed", "boolean", True),
        ("execution_started_at", TSTZ, False),
        ("execution_completed_at", TSTZ, False),
        ("execution_result", "jsonb", False),
        ("outcome_measured", "boolean", True),
        ("outcome_success", "boolean", False),
        ("outcome_data", "jsonb", False),
        ("decision_latency_ms", "integer", False),
        ("decision_confidence", "double precision", False),
        ("created_at", TSTZ, True),
    ],
    "npc_alliances": [
        ("id", "integer", True),
        ("world_id", "character varying(50)", True),
        ("alliance_id", "integer", True),
        ("name", "character varying(100)", True),
        ("tag", "character varying(10)", True),
        ("total_members", "integer", True),
        ("npc_members", "integer", True),
        ("npc_leader_id", "integer", False),
        ("alliance_strategy", "character varying(50)", False),
        ("diplomatic_stance", "jsonb", False),
        ("total_rank", "integer", False),
        ("total_population", "integer", False),
        ("total_villages", "integer", False),
        ("created_at", TSTZ, True),
        ("updated_at", TSTZ, True),
    ],
    "npc_messages": [
        ("id", "bigint", True),
        ("world_id", "character varying(50)", True),
        ("from_npc_id", "integer", False),
        ("to_player_id", "integer", True),
        ("to_is_npc", "boolean", True),
        ("subject", "character varying(200)", False),
        ("message_body", "text", True),
        ("message_type", "character varying(50)", False),
        ("generated_by_llm", "boolean", True),
        ("llm_prompt", "text", False),
        ("generation_time_ms", "integer", False),
        ("sent_at", TSTZ, True),
        ("read_at", TSTZ, False),
        ("replied_at", TSTZ, False),
        ("reply_message_id", "bigint", False),
        ("response_received", "boolean", True),
        ("response_positive", "boolean", False),
        ("objective_achieved", "boolean", False),
        ("created_at", TSTZ, True),
    ],
    "npc_battle_history": [
        ("id", "bigint", True),
        ("world_id", "character varying(50)", True),
        ("npc_id", "integer", False),
        ("battle_id", "integer", False),
        ("battle_type", "character varying(50)", False),
        ("attacker_id", "integer", True),
        ("defender_id", "integer", True),
        ("npc_role", "character varying(50)", False),
        ("from_village_id", "integer", False),
        ("to_village_id", "integer", False),
        ("my_troops_sent", "jsonb", False),
        ("my_troops_survived", "jsonb", False),
        ("enemy_troops_estimated", "jsonb", False),
        ("enemy_troops_killed", "jsonb", False),
        ("result", "character varying(50)", False),
        ("resources_gained", "integer", True),
        ("resources_lost", "integer", True),
        ("prediction_made", "jsonb", False),
        ("prediction_accuracy", "double precision", False),
        ("tactical_lesson", "text", False),
        ("strategy_adjustment", "jsonb", False),
        ("occurred_at", TSTZ, True),
        ("created_at", TSTZ, True),
    ],
    "npc_trade_history": [
        ("id", "bigint", True),
        ("world_id", "character varying(50)", True),
        ("npc_id", "integer", False),
        ("trade_id", "integer", False),
        ("trade_type", "character varying(50)", False),
        ("offered_resource", "character varying(50)", False),
        ("offered_amount", "integer", False),
        ("requested_resource", "character varying(50)", False),
        ("requested_amount", "integer", False),
        ("exchange_rate", "double precision", False),
        ("market_rate_at_time", "double precision", False),
        ("profit_margin", "double precision", False),
        ("partner_id", "integer", False),
        ("partner_trustworthiness", "double precision", False),
        ("trade_status", "character varying(50)", False),
        ("completed_at", TSTZ, False),
        ("created_at", TSTZ, True),
    ],
    "schema_versions": [
        ("id", "integer", True),
        ("version", "character varying(50)", True),
        ("description", "text", False),
        ("applied_at", TSTZ, True),
        ("rollback_script", "text", False),
    ],
}

NOW = object()  # the column must hold a timestamp of the inserting statement
UUID = object()  # the column must hold a generated UUID

# What a plain engine INSERT of only the required columns gets from each seed DEFAULT.
DEFAULTS: dict[str, dict[str, object]] = {
    "npcs": {
        "uuid": UUID, "llm_temperature": 0.7, "decision_cache_ttl": 3600, "strategic_update_frequency": 86400,
        "active": True, "paused": False, "created_at": NOW, "last_active": NOW, "total_decisions_made": 0,
        "llm_calls_made": 0, "battles_fought": 0, "villages_founded": 0, "version": 1,
    },
    "npc_world_state": {
        "total_population": 0, "village_count": 0, "total_wood": 0, "total_clay": 0, "total_iron": 0,
        "total_wheat": 0, "offensive_power": 0, "defensive_power": 0, "total_troops": 0,
        "production_rate_wood": 0, "production_rate_clay": 0, "production_rate_iron": 0,
        "production_rate_wheat": 0, "threat_level": 0.0, "state_updated_at": NOW, "last_login": NOW,
    },
    "npc_relationships": {
        "trust_score": 0, "total_interactions": 0, "battles_won_against": 0, "battles_lost_against": 0,
        "resources_raided_from": 0, "resources_lost_to": 0, "treaties_active": [], "messages_sent": 0,
        "messages_received": 0, "known_villages": [], "created_at": NOW, "updated_at": NOW,
    },
    "npc_memory": {"importance": 0.5, "emotional_weight": 0.0, "accessed_count": 0, "created_at": NOW},
    "npc_decisions": {"used_llm": False, "executed": False, "outcome_measured": False, "created_at": NOW},
    "npc_alliances": {"total_members": 0, "npc_members": 0, "created_at": NOW, "updated_at": NOW},
    "npc_messages": {
        "to_is_npc": False, "generated_by_llm": True, "sent_at": NOW, "response_received": False, "created_at": NOW,
    },
    "npc_battle_history": {"resources_gained": 0, "resources_lost": 0, "created_at": NOW},
    "npc_trade_history": {"created_at": NOW},
    "schema_versions": {"applied_at": NOW},
}

# The seed's CHECK constraints under the names PostgreSQL gives an inline CHECK
# (`<table>_<column>_check`), plus the seed's `valid_personality` and our `npcs_behavior_weights_range`
# (flaw 4). Each case: (table, constraint, column values that break it).
CHECK_VIOLATIONS: list[tuple[str, str, dict[str, object]]] = [
    ("npcs", "npcs_tribe_check", {"tribe": "Elves"}),
    ("npcs", "npcs_personality_check", {"personality": "chaotic"}),
    ("npcs", "npcs_llm_temperature_check", {"llm_temperature": 2.01}),
    ("npcs", "npcs_llm_temperature_check", {"llm_temperature": -0.1}),
    ("npcs", "valid_personality", {"behavior_template": {"aggression": 1.5}}),
    ("npcs", "valid_personality", {"behavior_template": {"aggression": -0.01}}),
    *[("npcs", "npcs_behavior_weights_range", {"behavior_template": {"aggression": 0.5, key: value}})
      for key in ("economy", "diplomacy", "risk_tolerance", "patience", "adaptability") for value in (1.01, -0.5)],
    ("npc_world_state", "npc_world_state_threat_level_check", {"threat_level": 1.5}),
    ("npc_world_state", "npc_world_state_threat_level_check", {"threat_level": -0.1}),
    ("npc_relationships", "npc_relationships_trust_score_check", {"trust_score": 101}),
    ("npc_relationships", "npc_relationships_trust_score_check", {"trust_score": -101}),
    ("npc_relationships", "npc_relationships_relationship_type_check", {"relationship_type": "frenemy"}),
    ("npc_memory", "npc_memory_memory_type_check", {"memory_type": "dream"}),
    ("npc_memory", "npc_memory_importance_check", {"importance": 1.1}),
    ("npc_memory", "npc_memory_importance_check", {"importance": -0.1}),
    ("npc_decisions", "npc_decisions_decision_type_check", {"decision_type": "whim"}),
    ("npc_messages", "npc_messages_message_type_check", {"message_type": "spam"}),
    ("npc_battle_history", "npc_battle_history_battle_type_check", {"battle_type": "siege"}),
]

# Values on the edge of each range, which the CHECKs must accept (BETWEEN is inclusive).
CHECK_BOUNDARIES: list[tuple[str, dict[str, object]]] = [
    ("npcs", {"llm_temperature": 0.0}),
    ("npcs", {"llm_temperature": 2.0}),
    ("npcs", {"behavior_template": {k: 0.0 for k in (
        "aggression", "economy", "diplomacy", "risk_tolerance", "patience", "adaptability")}}),
    ("npcs", {"behavior_template": {k: 1 for k in (
        "aggression", "economy", "diplomacy", "risk_tolerance", "patience", "adaptability")}}),
    ("npcs", {"behavior_template": {"goals": ["steady_growth"]}}),  # absent weights are not bounded, as in the seed
    ("npc_world_state", {"threat_level": 1.0}),
    ("npc_relationships", {"trust_score": -100}),
    ("npc_relationships", {"trust_score": 100}),
    ("npc_memory", {"importance": 0.0}),
    ("npc_memory", {"importance": 1.0}),
]

# Every UNIQUE of the seed: (table, constraint, columns that collide).
UNIQUES: list[tuple[str, str, tuple[str, ...]]] = [
    ("npcs", "npcs_uuid_key", ("uuid",)),
    ("npcs", "npcs_name_key", ("name",)),
    ("npc_world_state", "npc_world_state_npc_id_world_id_key", ("npc_id", "world_id")),  # flaw 1
    ("npc_world_state", "npc_world_state_world_id_player_id_key", ("world_id", "player_id")),
    ("npc_relationships", "npc_relationships_npc_id_target_player_id_world_id_key",
     ("npc_id", "target_player_id", "world_id")),
    ("npc_alliances", "npc_alliances_world_id_alliance_id_key", ("world_id", "alliance_id")),
    ("schema_versions", "schema_versions_version_key", ("version",)),
]

# Every foreign key: (table, column, referenced table, ON DELETE) — "c" CASCADE, "a" NO ACTION.
FOREIGN_KEYS: list[tuple[str, str, str, str]] = [
    ("npc_world_state", "npc_id", "npcs", "c"),
    ("npc_relationships", "npc_id", "npcs", "c"),
    ("npc_memory", "npc_id", "npcs", "c"),
    ("npc_decisions", "npc_id", "npcs", "c"),
    ("npc_alliances", "npc_leader_id", "npcs", "a"),  # flaw 5
    ("npc_messages", "from_npc_id", "npcs", "a"),  # flaw 5
    ("npc_messages", "reply_message_id", "npc_messages", "a"),
    ("npc_battle_history", "npc_id", "npcs", "c"),
    ("npc_trade_history", "npc_id", "npcs", "c"),
]

# Every index of the seed: name -> (table, key columns as PostgreSQL prints them, partial predicate).
INDEXES: dict[str, tuple[str, str, str | None]] = {
    "idx_npcs_active": ("npcs", "active", "active"),
    "idx_npcs_personality": ("npcs", "personality", None),
    "idx_npcs_last_active": ("npcs", "last_active DESC", None),
    "idx_npc_world_state_world": ("npc_world_state", "world_id", None),
    "idx_npc_world_state_rank": ("npc_world_state", "world_id, rank", None),
    "idx_npc_world_state_updated": ("npc_world_state", "state_updated_at DESC", None),
    "idx_relationships_npc": ("npc_relationships", "npc_id", None),
    "idx_relationships_target": ("npc_relationships", "world_id, target_player_id", None),
    "idx_relationships_type": ("npc_relationships", "relationship_type", None),
    "idx_relationships_trust": ("npc_relationships", "trust_score DESC", None),
    "idx_memory_npc": ("npc_memory", "npc_id", None),
    "idx_memory_type": ("npc_memory", "memory_type", None),
    "idx_memory_importance": ("npc_memory", "importance DESC", None),
    "idx_memory_occurred": ("npc_memory", "occurred_at DESC", None),
    "idx_memory_expires": ("npc_memory", "expires_at", "(expires_at IS NOT NULL)"),
    "idx_decisions_npc": ("npc_decisions", "npc_id", None),
    "idx_decisions_type": ("npc_decisions", "decision_type", None),
    "idx_decisions_llm": ("npc_decisions", "used_llm", "used_llm"),
    "idx_decisions_created": ("npc_decisions", "created_at DESC", None),
    "idx_alliances_world": ("npc_alliances", "world_id", None),
    "idx_alliances_leader": ("npc_alliances", "npc_leader_id", "(npc_leader_id IS NOT NULL)"),
    "idx_messages_from": ("npc_messages", "from_npc_id", None),
    "idx_messages_to": ("npc_messages", "world_id, to_player_id", None),
    "idx_messages_sent": ("npc_messages", "sent_at DESC", None),
    "idx_messages_unread": ("npc_messages", "read_at", "(read_at IS NULL)"),
    "idx_battle_history_npc": ("npc_battle_history", "npc_id", None),
    "idx_battle_history_result": ("npc_battle_history", "result", None),
    "idx_battle_history_occurred": ("npc_battle_history", "occurred_at DESC", None),
    "idx_trade_history_npc": ("npc_trade_history", "npc_id", None),
    "idx_trade_history_status": ("npc_trade_history", "trade_status", None),
    "idx_trade_history_created": ("npc_trade_history", "created_at DESC", None),
}

# Primary keys: `id` everywhere (flaw 1: npc_world_state too) except npc_memory (flaw 2).
PRIMARY_KEYS = {table: "id" for table in TABLES} | {"npc_memory": "id, occurred_at"}
