"""The global database's health check (npcs/health.py)."""

import datetime
import io

import pytest

from npcs import health

pytestmark = pytest.mark.django_db(databases="__all__")


def test_missing_future_partitions_are_an_error(monkeypatch):
    monkeypatch.setattr(health.timezone, "now", lambda: datetime.datetime(2099, 1, 15, tzinfo=datetime.UTC))
    result = health.check_memory_partitions()
    assert result.status == "error"
    assert "2099-01" in result.message and "memory_partitions" in result.message


def test_rows_in_default_partition_are_a_warning(raw_sql):
    raw_sql("INSERT INTO npc_memory (world_id, memory_type, event_data, occurred_at) "
            "VALUES ('demo', 'battle', '{}', '2099-06-01')")
    assert health.check_memory_partitions().status == "warning"


def test_the_warning_names_the_command_that_clears_it_and_the_command_does(raw_sql):
    from django.core.management import call_command

    raw_sql("INSERT INTO npc_memory (world_id, memory_type, event_data, occurred_at) "
            "VALUES ('demo', 'battle', '{}', '2099-06-01')")
    assert "memory_partitions --clear-default" in health.check_memory_partitions().message
    call_command("memory_partitions", "--clear-default", stdout=io.StringIO())
    assert health.check_memory_partitions().status == "ok"
