"""The seed's `NPCCacheManager`, copied verbatim from ../shared/spec/seed-schema.md.

The NPC engine runs this code; the interoperability tests run it against the same Redis as
`npcs.runtime.client.RuntimeClient`. Do not edit it: it is the other side of the contract.
"""
# ruff: noqa

import redis.asyncio as redis
import json
from datetime import datetime

class NPCCacheManager:
    """
    Manage NPC data in Redis for high performance.
    """
    
    def __init__(self, redis_url: str = "redis://localhost:6379"):
        self.redis = redis.from_url(redis_url, decode_responses=True)
    
    async def cache_npc_state(self, npc_id: int, state: dict):
        """Cache NPC state for quick access"""
        key = f"npc:state:{npc_id}"
        
        # Store as hash for efficient field access
        await self.redis.hset(key, mapping={
            "villages": state['villages'],
            "population": state['population'],
            "rank": state['rank'],
            "offensive_power": state['offensive_power'],
            "last_decision": state['last_decision'],
            "current_strategy": state['current_strategy']
        })
        
        # Set TTL
        await self.redis.expire(key, 300)  # 5 minutes
    
    async def get_npc_state(self, npc_id: int) -> dict:
        """Retrieve cached NPC state"""
        key = f"npc:state:{npc_id}"
        return await self.redis.hgetall(key)
    
    async def queue_decision(
        self,
        npc_id: int,
        decision: dict,
        priority: int = 5
    ):
        """
        Add decision to priority queue.
        Lower priority = processed sooner.
        """
        queue_key = f"npc:decisions:{priority}"
        
        # Score = current timestamp for FIFO within priority
        score = datetime.now().timestamp()
        
        # Member = JSON decision
        decision['npc_id'] = npc_id
        member = json.dumps(decision)
        
        await self.redis.zadd(queue_key, {member: score})
    
    async def pop_next_decision(self, priority: int = 5) -> dict:
        """Get next decision from queue"""
        queue_key = f"npc:decisions:{priority}"
        
        # Get lowest score (oldest)
        results = await self.redis.zpopmin(queue_key, count=1)
        
        if results:
            member, score = results[0]
            return json.loads(member)
        
        return None
    
    async def check_llm_rate_limit(
        self,
        npc_id: int,
        max_per_minute: int = 10
    ) -> bool:
        """
        Check if NPC can make LLM call.
        Returns True if allowed.
        """
        key = f"ratelimit:llm:{npc_id}"
        
        # Increment counter
        current = await self.redis.incr(key)
        
        # Set TTL on first increment
        if current == 1:
            await self.redis.expire(key, 60)
        
        return current <= max_per_minute
