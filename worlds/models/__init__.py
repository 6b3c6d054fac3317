"""The world databases: the game's `villages` and the NPC extensions to them (seed contract).

Every model here is a world model: it lives in each `world_<id>` database and is reached
with `.objects.in_world(world_id)`; see `npcadmin/routers.py` and docs/worlds.md.
"""

from worlds.models.build_history import NPCBuildQueueHistory
from worlds.models.village import Village
from worlds.models.village_config import NPCVillageConfig

__all__ = ["NPCBuildQueueHistory", "NPCVillageConfig", "Village"]
