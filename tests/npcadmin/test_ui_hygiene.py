"""The product's one navigation and its hygiene: dashboard, areas, favicon, one-line 403 logs."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from npcadmin import navigation

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def analyst(django_user_model):
    user = django_user_model.objects.create_user("ana", password="analyst-pass-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboards", content_type__app_label="analytics"))
    return user


def test_view_site_leads_to_a_dashboard_of_the_areas_not_back_to_the_admin(admin_client):
    response = admin_client.get("/")
    assert response.status_code == 200  # was a redirect to /admin/, whose "View site" pointed back to /
    cards = {c["key"]: c for c in response.context["area_cards"]}
    assert set(cards) == {a.key for a in navigation.AREAS}
    assert cards["npcs"]["number"] == 0 and cards["worlds"]["number"] >= 1
    html = response.content.decode()
    for area in navigation.AREAS:
        assert f'class="area-{area.key}' in html  # in the sidebar and on the dashboard


def test_admin_index_shows_the_same_cards(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert 'id="area-cards"' in response.content.decode()


def test_custom_pages_share_the_admins_base_sidebar_and_dark_mode(admin_client):
    html = admin_client.get(reverse("worlds:index")).content.decode()
    assert 'id="nav-sidebar"' in html and 'id="nav-areas"' in html
    assert "admin/css/dark_mode.css" in html and "css/theme.css" in html
    assert 'aria-current="page">Worlds<' in html  # the current area is marked


def test_an_analyst_sees_only_the_areas_it_may_open(client, analyst):
    client.force_login(analyst)
    keys = [a["key"] for a in navigation.areas_for(analyst)]
    assert "analytics" in keys and "npcs" not in keys and "mind" not in keys
    html = client.get("/").content.decode()
    assert "area-analytics" in html and "area-npcs" not in html


def test_anonymous_dashboard_goes_to_the_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_failing_count_shows_a_dash_not_an_error(admin_client, monkeypatch):
    broken = navigation.Area("broken", "Broken", "admin:index", "", None, "npcadmin.no_such_module.count")
    monkeypatch.setattr(navigation, "AREAS", (*navigation.AREAS, broken))
    response = admin_client.get("/")
    assert response.status_code == 200
    card = next(c for c in response.context["area_cards"] if c["key"] == "broken")
    assert card["number"] is None and "unavailable right now" in response.content.decode()


def test_an_area_whose_page_is_gone_is_left_out(admin_user, monkeypatch):
    gone = navigation.Area("gone", "Gone", "nowhere:index", "")
    monkeypatch.setattr(navigation, "AREAS", (gone,))
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
