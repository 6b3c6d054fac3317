"""Closed vocabularies of the seed schema, shared by models, forms, filters and factories.

Each one mirrors a CHECK constraint of `../shared/spec/seed-schema.md`; the migrations
build the CHECKs from these same lists, so the two cannot drift apart.
"""

from django.db import models


class Tribe(models.TextChoices):
    ROMANS = "Romans"
    GAULS = "Gauls"
    TEUTONS = "Teutons"


class Personality(models.TextChoices):
    AGGRESSIVE = "aggressive"
    ECONOMIC = "economic"
    BALANCED = "balanced"
    DIPLOMAT = "diplomat"
    ASSASSIN = "assassin"


class Strategy(models.TextChoices):
    """`npc_world_state.current_strategy` (free text in the seed; these are its examples)."""

    EXPANSION = "expansion"
    MILITARY = "military"
    ECONOMIC = "economic"
    DIPLOMATIC = "diplomatic"


class AllianceRole(models.TextChoices):
    MEMBER = "member"
    LEADER = "leader"
    CO_LEADER = "co-leader"


class RelationshipType(models.TextChoices):
    ALLY = "ally"
    ENEMY = "enemy"
    NEUTRAL = "neutral"
    TRADING_PARTNER = "trading_partner"
    VASSAL = "vassal"
    OVERLORD = "overlord"


class MemoryType(models.TextChoices):
    BATTLE = "battle"
    TRADE = "trade"
    MESSAGE = "message"
    ALLIANCE_EVENT = "alliance_event"
    STRATEGIC_DECISION = "strategic_decision"
    BUILDING_COMPLETED = "building_completed"
    VILLAGE_FOUNDED = "village_founded"
    TREATY_SIGNED = "treaty_signed"
    TREATY_BROKEN = "treaty_broken"
    PLAYER_INTERACTION = "player_interaction"


class DecisionType(models.TextChoices):
    STRATEGIC = "strategic"
    TACTICAL = "tactical"
    ECONOMIC = "economic"
    DIPLOMATIC = "diplomatic"
    BUILDING = "building"
    MILITARY = "military"
    EXPANSION = "expansion"


class AllianceStrategy(models.TextChoices):
    MILITARY = "military"
    PEACEFUL = "peaceful"
    TRADING = "trading"
    EXPANSIONIST = "expansionist"


class MessageType(models.TextChoices):
    ALLIANCE_INVITATION = "alliance_invitation"
    TREATY_PROPOSAL = "treaty_proposal"
    WAR_DECLARATION = "war_declaration"
    TRADE_OFFER = "trade_offer"
    DIPLOMATIC_MESSAGE = "diplomatic_message"
    THREAT = "threat"
    FRIENDLY_CHAT = "friendly_chat"


class BattleType(models.TextChoices):
    ATTACK = "attack"
    DEFENSE = "defense"
    REINFORCEMENT = "reinforcement"
    RAID = "raid"


class BattleRole(models.TextChoices):
    ATTACKER = "attacker"
    DEFENDER = "defender"
    REINFORCEMENT = "reinforcement"


class BattleResult(models.TextChoices):
    VICTORY = "victory"
    DEFEAT = "defeat"
    DRAW = "draw"


class TradeType(models.TextChoices):
    OFFER_CREATED = "offer_created"
    OFFER_ACCEPTED = "offer_accepted"
    MERCHANT_SENT = "merchant_sent"


class TradeStatus(models.TextChoices):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Resource(models.TextChoices):
    WOOD = "wood"
    CLAY = "clay"
    IRON = "iron"
    WHEAT = "wheat"


class TreatyType(models.TextChoices):
    NAP = "NAP"
    TRADE_AGREEMENT = "trade_agreement"
    ALLIANCE = "alliance"
    VASSALAGE = "vassalage"
    CEASEFIRE = "ceasefire"


# The numeric weights of `npcs.behavior_template`, each bounded to 0..1.
BEHAVIOR_WEIGHTS = ("aggression", "economy", "diplomacy", "risk_tolerance", "patience", "adaptability")
