"""Property: junk on the login form (and to the throttle in front of it) is a refused login,
a 429 once the budget is spent, never a 500 and never a session."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from hypothesis import given

from tests.junk import FORM_SETTINGS, apply, junk_for

pytestmark = pytest.mark.django_db


@FORM_SETTINGS
@given(junk=junk_for(("username", "password", "next", "csrfmiddlewaretoken")))
def test_login_form_with_junk(client, junk):
    get_user_model().objects.get_or_create(username="gm", defaults={"is_staff": True})
    cache.clear()
    response = client.post("/admin/login/", apply({"username": "gm", "password": "not-it"}, junk))
    assert response.status_code in (200, 403, 429), response  # 403: a CSRF token that is junk
    assert "_auth_user_id" not in client.session
