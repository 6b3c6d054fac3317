"""The engine's Redis key patterns, value formats and TTLs (seed "Redis Data Structures").

These names are an API shared with the NPC engine, which runs the seed's `NPCCacheManager`:
change nothing here without changing the engine. `docs/runtime.md` documents each key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable

# --- Key patterns, exactly as the seed spells them -----------------------------------------
LLM_RESPONSE = "llm:response:{hash}"
NPC_STATE = "npc:state:{npc_id}"
NPC_DECISIONS = "npc:decisions:{priority}"
NPC_ACTIVE = "npc:active:{npc_id}"
RATELIMIT_LLM = "ratelimit:llm:{npc_id}"
METRICS_DECISIONS = "metrics:decisions:{minute}"

# Ours, not the seed's: decisions taken off the queues when an NPC is paused, deactivated or
# deleted, and the pub/sub channel announcing every console change (docs/schema.md).
PARKED_DECISIONS = "npcadmin:parked:{npc_id}"
PARKED_TTL = 7 * 24 * 3600
CHANGES_CHANNEL = "npcadmin:changes"
# Ours: the queue depths the live feed sampled, one per second for the last hour (a sorted set,
# score = epoch second, member = `<second>:<depth of 1>,<depth of 2>,...`). Redis keeps no
# history of a queue's depth, so the console records what it saw (docs/runtime.md, Charts).
QUEUE_DEPTH_HISTORY = "npcadmin:runtime:queue_depth"
QUEUE_DEPTH_HISTORY_SECONDS = 3600

# --- TTLs in seconds (None = persistent) --------------------------------------------------
LLM_RESPONSE_TTL = 3600
NPC_STATE_TTL = 300
NPC_DECISIONS_TTL = None
NPC_ACTIVE_TTL = 600
RATELIMIT_LLM_TTL = 60
METRICS_DECISIONS_TTL = 3600

# The seed's default rate limit and default queue priority.
RATELIMIT_LLM_DEFAULT_MAX = 10
DEFAULT_PRIORITY = 5
# Priorities the engine uses: lower is more urgent. The seed only shows 5 (its default); we
# fix the range so that a pop across priorities knows every queue without scanning Redis.
PRIORITIES: tuple[int, ...] = tuple(range(1, 11))

# Fields of the `npc:state` hash, in the seed's order.
NPC_STATE_FIELDS: tuple[str, ...] = (
    "villages", "population", "rank", "offensive_power", "last_decision", "current_strategy",
)
# Fields of the `metrics:decisions` hash.
METRICS_FIELDS: tuple[str, ...] = ("total", "llm_used", "rule_used", "avg_latency")

# `{minute}` is the UTC minute as YYYYMMDDHHMM: sortable, readable in redis-cli, and one key
# per wall-clock minute whichever process writes it.
MINUTE_FORMAT = "%Y%m%d%H%M"


# Patterns the key browser offers as presets: every engine key, then ours.
BROWSER_PRESETS: tuple[tuple[str, str], ...] = (
    ("NPC state", NPC_STATE.format(npc_id="*")),
    ("Decision queues", NPC_DECISIONS.format(priority="*")),
    ("Active NPCs", NPC_ACTIVE.format(npc_id="*")),
    ("LLM rate limits", RATELIMIT_LLM.format(npc_id="*")),
    ("LLM responses", LLM_RESPONSE.format(hash="*")),
    ("Decision metrics", METRICS_DECISIONS.format(minute="*")),
    ("NPC Admin's own", "npcadmin:*"),
)


def llm_response_key(prompt_hash: str) -> str:
    return LLM_RESPONSE.format(hash=prompt_hash)


def npc_state_key(npc_id: int) -> str:
    return NPC_STATE.format(npc_id=int(npc_id))


def decisions_key(priority: int) -> str:
    return NPC_DECISIONS.format(priority=int(priority))


def active_key(npc_id: int) -> str:
    return NPC_ACTIVE.format(npc_id=int(npc_id))


def parked_key(npc_id: int) -> str:
    return PARKED_DECISIONS.format(npc_id=int(npc_id))


def ratelimit_key(npc_id: int) -> str:
    return RATELIMIT_LLM.format(npc_id=int(npc_id))


def metrics_key(at: dt.datetime | float | None = None) -> str:
    return METRICS_DECISIONS.format(minute=minute_id(at))


def minute_id(at: dt.datetime | float | None = None) -> str:
    """The `{minute}` of `metrics:decisions:{minute}` for a moment (default: now), in UTC."""
    if at is None:
        moment = dt.datetime.now(dt.UTC)
    elif isinstance(at, dt.datetime):
        moment = at.astimezone(dt.UTC) if at.tzinfo else at.replace(tzinfo=dt.UTC)
    else:
        moment = dt.datetime.fromtimestamp(float(at), dt.UTC)
    return moment.strftime(MINUTE_FORMAT)


# Plausible epoch values (years 2000-2100): minutes since the epoch have 8 digits, seconds 10.
_EPOCH_MINUTES = range(15_778_080, 68_374_080)
_EPOCH_SECONDS = range(946_684_800, 4_102_444_800)


def parse_minute(minute: str) -> dt.datetime | None:
    """A `{minute}` back to its aware UTC minute, in any format docs/runtime.md names; None if unreadable.

    `YYYYMMDDHHMM` (ours), minutes since the epoch, seconds since the epoch (floored to the
    minute), and ISO 8601 (`2026-11-28T10:30`, with or without seconds, `Z` or an offset; without
    one it is UTC). Epoch values outside the years 2000-2100 are refused: they are not minutes.
    """
    text = minute.strip()
    moment = None
    if text.isascii() and text.isdigit():
        if len(text) == 12:
            try:
                moment = dt.datetime.strptime(text, MINUTE_FORMAT).replace(tzinfo=dt.UTC)
            except ValueError:
                return None
        elif int(text) in _EPOCH_SECONDS:
            moment = dt.datetime.fromtimestamp(int(text), dt.UTC)
        elif int(text) in _EPOCH_MINUTES:
            moment = dt.datetime.fromtimestamp(int(text) * 60, dt.UTC)
        else:
            return None
    else:
        if ":" not in text:  # a date alone is not a minute
            return None
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.replace(second=0, microsecond=0)


def llm_prompt_hash(prompt: str, *, model: str = "", temperature: float | None = None) -> str:
    """`{hash}` of `llm:response:{hash}`: SHA-256 hex of the prompt (with model and temperature
    when given, since the same prompt answered by another model is another response)."""
    if not model and temperature is None:
        material = prompt
    else:
        material = json.dumps({"model": model, "prompt": prompt, "temperature": temperature}, sort_keys=True)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def id_from_key(key: str) -> int | None:
    """The trailing integer of `npc:active:42`, `ratelimit:llm:42`, ... (None if not one)."""
    tail = key.rsplit(":", 1)[-1]
    try:
        return int(tail)
    except ValueError:
        return None


def parse_timestamp(value: str | bytes | None) -> dt.datetime | None:
    """A timestamp value (`npc:active`, `last_decision`): epoch seconds or ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.datetime.fromtimestamp(float(text), dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def timestamp_value(at: dt.datetime | float | None = None) -> str:
    """How we write a timestamp value: epoch seconds, as `datetime.now().timestamp()` gives."""
    if at is None:
        return repr(dt.datetime.now(dt.UTC).timestamp())
    if isinstance(at, dt.datetime):
        return repr((at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp())
    return repr(float(at))


def recent_minutes(count: int, *, now: dt.datetime | None = None) -> Iterable[str]:
    """The last `count` minute ids, newest first."""
    now = now or dt.datetime.now(dt.UTC)
    for back in range(count):
        yield minute_id(now - dt.timedelta(minutes=back))
