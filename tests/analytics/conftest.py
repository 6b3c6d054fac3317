"""Analytics tests: an empty dashboard cache and a fresh backend cache for each test."""

import pytest
from django.core.cache import cache

from analytics import storage


@pytest.fixture(autouse=True)
def _fresh_caches():
    cache.clear()
    storage.forget_backend()
    yield
    cache.clear()


@pytest.fixture
def analyst(django_user_model):
    """Staff with nothing but the dashboards permission (what the analyst role grants here)."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("ana", "ana@example.com", "analyst-pass-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_analytics", content_type__app_label="npcadmin"))
    return user


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def backend(db):
    """The metrics backend of the test database ('timescaledb' or 'native')."""
    storage.forget_backend()
    return storage.metrics_backend()


@pytest.fixture
def native_only(backend):
    if backend != storage.NATIVE:
        pytest.skip("native storage only (rollup tables, dirty-hour log, monthly partitions); "
                    "this database runs TimescaleDB")


@pytest.fixture
def timescale_only(backend):
    if backend != storage.TIMESCALEDB:
        pytest.skip("TimescaleDB only; this database uses native storage (point DATABASE_URL at a "
                    "TimescaleDB server to run it, see docs/analytics.md)")


@pytest.fixture
def clean_metrics(transactional_db):
    """Transactional tests: npc_metrics is unmanaged, so the flush does not empty it; this does."""
    from analytics.services import metrics_delete

    metrics_delete()
    yield
    metrics_delete()
