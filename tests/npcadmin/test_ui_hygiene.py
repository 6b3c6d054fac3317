"""The product's one navigation and its hygiene: dashboard, areas, favicon, one-line 403 logs."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from npcadmin import navigation
from tests.factories.access import user_in_role

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def analyst():
    return user_in_role("analyst", username="ana")


def test_view_site_leads_to_a_dashboard_of_the_areas_not_back_to_the_admin(admin_client):
    response = admin_client.get("/")
    assert response.status_code == 200  # was a redirect to /admin/, whose "View site" pointed back to /
    cards = {c["key"]: c for c in response.context["area_cards"]}
    assert set(cards) == {a.key for a in navigation.areas()}
    assert cards["npcs"]["number"] == 0 and cards["worlds"]["number"] >= 1
    html = response.content.decode()
    for area in navigation.areas():
        assert f'class="area-{area.key}' in html  # in the sidebar and on the dashboard


def test_admin_index_shows_the_same_cards(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert 'id="area-cards"' in response.content.decode()


def test_custom_pages_share_the_admins_base_sidebar_and_dark_mode(admin_client):
    html = admin_client.get(reverse("worlds:index")).content.decode()
    assert 'id="nav-sidebar"' in html and 'id="nav-areas"' in html
    assert "admin/css/dark_mode.css" in html and "css/theme.css" in html
    assert 'aria-current="page">Worlds<' in html  # the current area is marked


def test_an_analyst_sees_every_area_it_reads(analyst):
    keys = [a["key"] for a in navigation.areas_for(analyst)]
    assert set(keys) == {"npcs", "worlds", "mind", "runtime", "analytics"}


def test_a_user_sees_only_the_areas_it_may_open(client, django_user_model):
    user = django_user_model.objects.create_user("charts", password="charts-pass-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_analytics", content_type__app_label="npcadmin"))
    client.force_login(user)
    assert [a["key"] for a in navigation.areas_for(user)] == ["analytics"]
    html = client.get("/").content.decode()
    assert "area-analytics" in html and "area-npcs" not in html


def test_anonymous_dashboard_goes_to_the_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.fixture
def registered_areas(monkeypatch):
    """The registry as the apps filled it, restored after the test."""
    monkeypatch.setattr(navigation._areas, "entries", {a.key: a for a in navigation.areas()})
    return navigation._areas.entries


def test_every_app_registers_its_own_area():
    assert [a.key for a in navigation.areas()] == ["npcs", "worlds", "mind", "runtime", "analytics"]


def test_a_failing_count_shows_a_dash_not_an_error(admin_client, registered_areas):
    def count():
        raise ConnectionError("Redis went away")

    navigation.register(navigation.Area("broken", "Broken", "admin:index", "", count=count))
    response = admin_client.get("/")
    assert response.status_code == 200
    card = next(c for c in response.context["area_cards"] if c["key"] == "broken")
    assert card["number"] is None and "unavailable right now" in response.content.decode()


def test_an_area_whose_page_is_gone_is_left_out(admin_user, registered_areas):
    registered_areas.clear()
    navigation.register(navigation.Area("gone", "Gone", "nowhere:index", ""))
    assert navigation.areas_for(admin_user) == []


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")


def test_a_403_is_logged_on_one_line_without_its_traceback(client, django_user_model, caplog):
    user = django_user_model.objects.create_user("nobody", password="nobody-pass-123", is_staff=True)
    client.force_login(user)
    handler = logging.getLogger().handlers[0]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("analytics:dashboard", args=["overview"]))
    assert response.status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None and "Forbidden" in record.getMessage()
    assert "Traceback" not in handler.format(record)
