"""Inside an NPC's mind: memory recall, decision traces and LLM usage across NPCs.

Reads live in `recall`, `traces` and `usage` (selectors: they never write, and in particular
never touch `npc_memory.accessed_count` / `last_accessed`, which belong to the engine);
the one write, a game master's adjustment of a memory, lives in `services`.
"""
