"""Two writers, one truth (issue 12): the console never undoes the engine, and the engine hears the console.

The engine side is real: plain SQL on its own psycopg connection (or Django's, for rows inside the
test transaction), the spec's Redis client, a real LISTEN connection and a real Redis subscriber.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import select
import threading
import time
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection, connections
from django.test import override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from npcadmin.routers import world_db
from npcs import services
from npcs.changes import PG_CHANNEL
from npcs.choices import TreatyType
from npcs.runtime import keys
from tests.factories.npcs import NPCAllianceFactory, NPCFactory, NPCRelationshipFactory, NPCWorldStateFactory
from tests.factories.worlds import NPCVillageConfigFactory
from tests.junk import FORM_SETTINGS
from tests.npcs.two_writers import browser_post_data, row_text

# --- Forms on engine-shared rows: (admin url name or world page, table, primary key column) ---------------

FORMS = {
    "npc": ("admin:npcs_npc_change", "npcs", "id"),
    "relationship": ("admin:npcs_npcrelationship_change", "npc_relationships", "id"),
    "alliance": ("admin:npcs_npcalliance_change", "npc_alliances", "id"),
    "world_state": ("admin:npcs_npcworldstate_change", "npc_world_state", "id"),
    "village_config": ("worlds:village_config", "npc_village_config", "village_id"),
}


def _url(form: str, pk) -> str:
    name = FORMS[form][0]
    if form == "village_config":
        return reverse(name, kwargs={"world_id": "demo", "village_id": pk})
    return reverse(name, args=[pk])


def _alias(form: str) -> str:
    return world_db("demo") if form == "village_config" else "default"


def _engine_sql(form: str, statement: str, params=()) -> None:
    with connections[_alias(form)].cursor() as cursor:
        cursor.execute(statement, list(params))


def _row(form: str):
    """A fresh row of each form's table, as factories build it."""
    return {
        "npc": lambda: NPCFactory(),
        "relationship": lambda: NPCRelationshipFactory(),
        "alliance": lambda: NPCAllianceFactory(npc_leader=NPCFactory()),
        "world_state": lambda: NPCWorldStateFactory(),
        "village_config": lambda: NPCVillageConfigFactory(world="demo"),
    }[form]()


# --- Arbitrary JSON as the engine writes it -----------------------------------------------------------

json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda f: abs(f) < 1e15),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                            max_size=8), inner, max_size=3)), max_leaves=8)
json_object = st.dictionaries(st.from_regex(r"[a-z_]{1,10}", fullmatch=True), json_value, max_size=4)
weight = st.floats(0, 1, allow_nan=False)
# The behaviour template: the six weights the constraint bounds, anything else beside them.
template = st.builds(
    lambda weights, extra, goals: {**extra, **weights, **({"goals": goals} if goals else {})},
    st.fixed_dictionaries({}, optional={k: weight for k in ("aggression", "economy", "diplomacy",
                                                             "risk_tolerance", "patience", "adaptability")}),
    json_object.map(lambda d: {k: v for k, v in d.items() if k not in (
        "aggression", "economy", "diplomacy", "risk_tolerance", "patience", "adaptability", "building_priority",
        "goals")}),
    st.lists(st.from_regex(r"[a-z_]{1,10}", fullmatch=True), max_size=3),
)
treaty = st.builds(
    lambda kind, extra, terms, end: {**extra, "type": kind, "start": "2026-01-01",
                                     **({} if terms is ... else {"terms": terms}),
                                     **({} if end is ... else {"end": end})},
    st.sampled_from(TreatyType.values),
    json_object.map(lambda d: {k: v for k, v in d.items() if k not in ("type", "start", "end", "terms")}),
    st.one_of(st.just(...), json_value), st.sampled_from([..., None, "2026-06-01"]),
)
stance = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "allied_alliances": st.just([11, 12]), "enemy_alliances": st.just([13]), "nap_alliances": st.just([])}))
priority = st.permutations([1, 2, 3, 4]).map(lambda r: dict(zip(["wood", "clay", "iron", "wheat"], r, strict=True)))


def _engine_writes_json(form: str, pk, data) -> None:
    """Write every JSONB column of the row with plain SQL, as the engine would."""
    statements = {
        "npc": ("UPDATE npcs SET behavior_template = %s WHERE id = %s", ["template"]),
        "relationship": ("UPDATE npc_relationships SET treaties_active = %s, known_villages = %s, "
                         "known_army_composition = %s, activity_pattern = %s WHERE id = %s",
                         ["treaties", "villages", "army", "activity"]),
        "alliance": ("UPDATE npc_alliances SET diplomatic_stance = %s WHERE id = %s", ["stance"]),
        "world_state": (None, []),
        "village_config": ("UPDATE npc_village_config SET resource_priority = %s, build_queue_strategy = %s, "
                           "training_queue_strategy = %s WHERE village_id = %s", ["priority", "build", "training"]),
    }
    statement, names = statements[form]
    if statement:
        _engine_sql(form, statement, [Jsonb(data[n]) if data[n] is not None else None for n in names] + [pk])


# Each example is a GET and a POST per form: fewer than the junk properties, still every JSONB shape.
UNCHANGED_SAVE_SETTINGS = hypothesis_settings(FORM_SETTINGS, max_examples=max(5, FORM_SETTINGS.max_examples // 3))

engine_json = st.fixed_dictionaries({
    "template": template, "treaties": st.lists(treaty, max_size=3), "villages": st.lists(json_value, max_size=3),
    "army": st.one_of(st.none(), json_object), "activity": json_value, "stance": stance,
    "priority": st.one_of(st.none(), priority), "build": st.one_of(st.none(), json_object),
    "training": st.one_of(st.none(), json_object),
})


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("form", list(FORMS))
@UNCHANGED_SAVE_SETTINGS
@given(data=engine_json)
def test_an_unchanged_form_saved_leaves_every_column_byte_identical(admin_client, form, data):
    obj = _row(form)
    table, pk_column = FORMS[form][1:]
    _engine_writes_json(form, obj.pk, data)
    before = row_text(table, pk_column, obj.pk, using=_alias(form))
    page = admin_client.get(_url(form, obj.pk))
    assert page.status_code == 200
    response = admin_client.post(_url(form, obj.pk), browser_post_data(page.content.decode()))
    errors = response.context and (response.context.get("adminform") or response.context.get("form"))
    assert response.status_code == 302, getattr(getattr(errors, "form", errors), "errors", None)
    assert row_text(table, pk_column, obj.pk, using=_alias(form)) == before


@pytest.mark.django_db
def test_treaty_terms_written_as_a_json_object_stay_an_object(admin_client):
    terms = {"tribute_per_day": 4400, "resources": ["wood", "clay"], "ratio": 1.0}
    rel = NPCRelationshipFactory(treaties_active=[{"type": "vassalage", "start": "2026-01-01", "terms": terms}])
    url = _url("relationship", rel.pk)
    data = browser_post_data(admin_client.get(url).content.decode())
    assert json.loads(data["treaties_active-0-terms"]) == terms  # shown as JSON, not as a Python repr
    data["relationship_type"] = "enemy"  # change something else: the treaty must still round-trip
    assert admin_client.post(url, data).status_code == 302
    assert row_text("npc_relationships", "id", rel.pk)["treaties_active"] == (
        '[{"type": "vassalage", "start": "2026-01-01", "terms": {"ratio": 1.0, "resources": ["wood", "clay"], '
        '"tribute_per_day": 4400}}]')
    # Edited as JSON text, the terms are stored as a JSON object too.
    data = browser_post_data(admin_client.get(url).content.decode())
    data["treaties_active-0-terms"] = '{"tribute_per_day": 5000}'
    assert admin_client.post(url, data).status_code == 302
    rel.refresh_from_db()
    assert rel.treaties_active[0]["terms"] == {"tribute_per_day": 5000}


# --- Two game masters ------------------------------------------------------------------------------------

EDITS = {  # one editable field per form and two values two game masters type into it
    "npc": ("notes", "first", "second"),
    "relationship": ("trust_score", "63", "-64"),
    "alliance": ("name", "First name", "Second name"),
    "world_state": ("strategic_goal", "first goal", "second goal"),
    "village_config": ("warehouse_reserve", "1111", "2222"),
}



@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("form", list(FORMS))
def test_two_game_masters_exactly_one_wins_the_other_is_told_why(admin_client, form):
    obj = _row(form)
    field, first, second = EDITS[form]
    url = _url(form, obj.pk)
    page = admin_client.get(url).content.decode()
    mine, theirs = browser_post_data(page), browser_post_data(page)
    old = row_text(FORMS[form][1], FORMS[form][2], obj.pk, using=_alias(form))[field]
    assert admin_client.post(url, {**theirs, field: first}).status_code == 302
    response = admin_client.post(url, {**mine, field: second})
    assert response.status_code == 200
    html = response.content.decode()
    shown_old = "empty" if old is None else old
    assert "NOT saved" in html and f"<b>{field.replace('_', ' ')}</b>: {shown_old} → {first}" in html
    assert f'value="{second}"' in html or f">\n{second}</textarea>" in html  # the loser's input is kept
    assert row_text(FORMS[form][1], FORMS[form][2], obj.pk, using=_alias(form))[field] == first


# --- The engine increments while the console saves ---------------------------------------------------------

ENGINE_COUNTERS = {  # (table, pk column, counter the engine increments, editable field the console changes)
    "npc": ("npcs", "id", "total_decisions_made", "notes"),
    "relationship": ("npc_relationships", "id", "total_interactions", "relationship_type"),
    "alliance": ("npc_alliances", "id", "total_members", "alliance_strategy"),
    "world_state": ("npc_world_state", "id", "total_wood", "strategic_goal"),
    "village_config": ("npc_village_config", "village_id", "warehouse_reserve", "build_template_name"),
}


def _dsn(alias: str) -> str:
    params = connections[alias].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if isinstance(v, str | int)})


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize("form", list(FORMS))
def test_engine_increments_during_console_saves_are_never_lost(admin_client, form):
    obj = _row(form)
    table, pk_column, counter, field = ENGINE_COUNTERS[form]
    if form == "village_config":
        counter = "next_scheduled_build"  # the village config has no counter: the engine moves its schedule
    url = _url(form, obj.pk)
    stop, done = threading.Event(), {"increments": 0}

    def engine():
        with psycopg.connect(_dsn(_alias(form)), autocommit=True) as conn:
            while not stop.is_set():
                if counter == "next_scheduled_build":
                    conn.execute(f"UPDATE {table} SET next_scheduled_build = "
                                 f"COALESCE(next_scheduled_build, 'epoch') + interval '1 second' "
                                 f"WHERE {pk_column} = %s", [obj.pk])
                else:
                    conn.execute(f"UPDATE {table} SET {counter} = {counter} + 1 WHERE {pk_column} = %s", [obj.pk])
                done["increments"] += 1

    with psycopg.connect(_dsn(_alias(form)), autocommit=True) as conn:
        start = conn.execute(f"SELECT extract(epoch FROM COALESCE(next_scheduled_build, 'epoch'))::bigint "
                             f"FROM {table} WHERE {pk_column} = %s" if counter == "next_scheduled_build" else
                             f"SELECT {counter} FROM {table} WHERE {pk_column} = %s", [obj.pk]).fetchone()[0]
    thread = threading.Thread(target=engine)
    thread.start()
    try:
        saved = 0
        for n in range(8):
            data = browser_post_data(admin_client.get(url).content.decode())
            data[field] = {"relationship_type": ["enemy", "neutral"][n % 2],
                           "alliance_strategy": f"plan {n}"}.get(field, f"console {n}")
            response = admin_client.post(url, data)
            assert response.status_code in (200, 302)
            saved += response.status_code == 302
    finally:
        stop.set()
        thread.join(timeout=10)
    with psycopg.connect(_dsn(_alias(form)), autocommit=True) as conn:
        end = conn.execute(f"SELECT extract(epoch FROM next_scheduled_build)::bigint FROM {table} "
                           f"WHERE {pk_column} = %s" if counter == "next_scheduled_build" else
                           f"SELECT {counter} FROM {table} WHERE {pk_column} = %s", [obj.pk]).fetchone()[0]
    assert done["increments"] > 0 and saved == 8  # engine columns are not in the token: no refusal
    assert end - start == done["increments"]  # 0 increments lost


# --- The engine holds a row lock -------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize("form", list(FORMS))
def test_a_row_the_engine_holds_answers_try_again_within_the_lock_timeout(admin_client, form):
    obj = _row(form)
    table, pk_column, _, field = ENGINE_COUNTERS[form]
    url = _url(form, obj.pk)
    data = browser_post_data(admin_client.get(url).content.decode())
    data[field] = {"relationship_type": "enemy"}.get(field, "changed while locked")
    with override_settings(NPCADMIN_CONSOLE_LOCK_TIMEOUT=0.5), \
            psycopg.connect(_dsn(_alias(form))) as engine:
        engine.execute(f"SELECT 1 FROM {table} WHERE {pk_column} = %s FOR UPDATE", [obj.pk])
        started = time.monotonic()
        response = admin_client.post(url, data)
        waited = time.monotonic() - started
        engine.rollback()
    assert response.status_code == 200 and waited < 5
    assert "The engine is holding this row" in response.content.decode()
    assert admin_client.post(url, data).status_code == 302  # once the engine lets go, the same input saves


# --- Pausing, deactivating, deleting: the engine's queues and keys, and the notifications -----------------

def _seed_client_class():
    for base in (Path(settings.BASE_DIR).parent / "shared", Path(settings.BASE_DIR).parent.parent / "shared"):
        path = base / "spec" / "seed_client.py"
        if path.exists():
            spec = importlib.util.spec_from_file_location("spec_seed_client", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.NPCCacheManager
    pytest.skip("the spec's seed_client.py is not in ../shared/spec/")


def _engine_queues(npc_id: int, other_id: int) -> None:
    """The engine queues decisions and caches state for two NPCs through the spec's own client."""
    manager = _seed_client_class()(settings.NPCADMIN_RUNTIME_REDIS_URL)

    async def run():
        for who in (npc_id, other_id):
            await manager.queue_decision(who, {"action": "build", "building": "warehouse"}, priority=5)
            await manager.queue_decision(who, {"action": "raid", "target": 7}, priority=2)
            await manager.cache_npc_state(who, {"villages": 2, "population": 300, "rank": 9, "offensive_power": 40,
                                                "last_decision": "build", "current_strategy": "economic"})
            await manager.redis.set(keys.active_key(who), time.time(), ex=600)
        await manager.redis.aclose()

    asyncio.run(run())


def _members_of(client, npc_id: int) -> list[str]:
    return [m for p in (2, 5) for m in client.zrange(keys.decisions_key(p), 0, -1) if json.loads(m)["npc_id"] == npc_id]


STOPS = {
    "pause": lambda npc, user: services.npc_pause(npc=npc, by_user=user),
    "deactivate": lambda npc, user: services.npc_deactivate(npc=npc, by_user=user),
    "delete": lambda npc, user: services.npc_delete(npc=npc, by_user=user),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", list(STOPS))
def test_stopping_an_npc_parks_its_decisions_drops_its_keys_and_tells_the_engine(redis_client, admin_user, how):
    npc, other = NPCFactory(), NPCFactory()
    npc_id, version = npc.pk, npc.version
    _engine_queues(npc.pk, other.pk)
    subscriber = redis.Redis.from_url(settings.NPCADMIN_RUNTIME_REDIS_URL, decode_responses=True).pubsub()
    subscriber.subscribe(keys.CHANGES_CHANNEL)
    subscriber.get_message(timeout=2)  # the subscribe confirmation
    with psycopg.connect(_dsn("default"), autocommit=True) as listener:
        listener.execute(f"LISTEN {PG_CHANNEL}")
        STOPS[how](npc, admin_user)
        assert select.select([listener.fileno()], [], [], 5)[0], "no NOTIFY within 5 s"
        notified = [json.loads(n.payload) for n in listener.notifies(timeout=1, stop_after=1)]
    published = subscriber.get_message(timeout=5)
    subscriber.close()

    assert _members_of(redis_client, npc_id) == []
    assert not redis_client.exists(keys.npc_state_key(npc_id), keys.active_key(npc_id))
    parked = [json.loads(m) for m in redis_client.zrange(keys.parked_key(npc_id), 0, -1)]
    assert sorted(p["priority"] for p in parked) == [2, 5] and redis_client.ttl(keys.parked_key(npc_id)) > 0
    # The other NPC is left alone.
    assert len(_members_of(redis_client, other.pk)) == 2
    assert redis_client.exists(keys.npc_state_key(other.pk), keys.active_key(other.pk)) == 2

    expected_change = {"pause": ["paused"], "deactivate": ["active"], "delete": ["deleted"]}[how]
    assert notified[0]["npc_id"] == npc_id and notified[0]["changed"] == expected_change
    assert notified[0]["version"] == version
    assert published is not None and json.loads(published["data"]) == notified[0]


@pytest.mark.django_db(transaction=True)
def test_a_template_change_is_announced_with_its_new_version(redis_client):
    npc = NPCFactory()
    subscriber = redis.Redis.from_url(settings.NPCADMIN_RUNTIME_REDIS_URL, decode_responses=True).pubsub()
    subscriber.subscribe(keys.CHANGES_CHANNEL)
    subscriber.get_message(timeout=2)
    with psycopg.connect(_dsn("default"), autocommit=True) as listener:
        listener.execute(f"LISTEN {PG_CHANNEL}")
        updated = services.npc_update(npc=npc, data={"behavior_template": {**npc.behavior_template, "economy": 0.11}},
                                      expected_token=None)
        assert select.select([listener.fileno()], [], [], 5)[0]
        notified = json.loads(next(listener.notifies(timeout=1, stop_after=1)).payload)
    published = json.loads(subscriber.get_message(timeout=5)["data"])
    subscriber.close()
    assert notified == published
    assert notified["changed"] == ["behavior_template"] and notified["version"] == updated.version == npc.version + 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_is_never_announced():
    npc = NPCFactory()
    with psycopg.connect(_dsn("default"), autocommit=True) as listener:
        listener.execute(f"LISTEN {PG_CHANNEL}")
        with pytest.raises(RuntimeError), connection.cursor():
            from django.db import transaction

            with transaction.atomic():
                services.npc_pause(npc=npc)
                raise RuntimeError("the request failed after the pause")
        assert list(listener.notifies(timeout=0.5)) == []
    npc.refresh_from_db()
    assert npc.paused is False
