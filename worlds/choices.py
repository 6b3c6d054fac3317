"""Closed vocabularies of the world databases, shared by models, forms, filters and the demo."""

from django.db import models


class VillageType(models.TextChoices):
    """`npc_village_config.village_type` (the seed's CHECK `npc_village_config_village_type_check`)."""

    CAPITAL = "capital"
    MILITARY = "military"
    ECONOMIC = "economic"
    FARMING = "farming"
    DEFENSIVE = "defensive"


class BuildPhase(models.TextChoices):
    """`npc_village_config.current_build_phase` (free text in the seed; these are its values)."""

    EARLY = "early"
    MID = "mid"
    LATE = "late"
    ENDGAME = "endgame"


class Building(models.TextChoices):
    """Building names the engine writes to `npc_build_queue_history.building_name` (open-ended)."""

    MAIN_BUILDING = "main_building"
    WOODCUTTER = "woodcutter"
    CLAY_PIT = "clay_pit"
    IRON_MINE = "iron_mine"
    CROPLAND = "cropland"
    WAREHOUSE = "warehouse"
    GRANARY = "granary"
    MARKETPLACE = "marketplace"
    EMBASSY = "embassy"
    BARRACKS = "barracks"
    STABLE = "stable"
    WORKSHOP = "workshop"
    ACADEMY = "academy"
    SMITHY = "smithy"
    RALLY_POINT = "rally_point"
    RESIDENCE = "residence"
    WALL = "wall"


# Buildings that produce resources ("resource fields"), in the order of `npcs.choices.Resource`.
RESOURCE_FIELDS = (Building.WOODCUTTER, Building.CLAY_PIT, Building.IRON_MINE, Building.CROPLAND)
