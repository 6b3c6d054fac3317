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
