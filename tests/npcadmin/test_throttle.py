"""The login throttle: normalised usernames, client addresses only from trusted proxies, locks per
(user, address) and a per-user slow-down that nobody can turn into a lock-out (npcadmin/throttle.py)."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from npcadmin.throttle import normalize_username

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "right-password-123"
LIMIT = settings.NPCADMIN_LOGIN_MAX_FAILURES


@pytest.fixture(autouse=True)
def clean_throttle():
    cache.delete_pattern("login-fail:*")
    yield
    cache.delete_pattern("login-fail:*")


@pytest.fixture
def gm2():
    return get_user_model().objects.create_superuser("gm2", password=PASSWORD)


def _post(username, password, *, addr="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(LOGIN, {"username": username, "password": password}, **extra)


def test_usernames_are_normalised_like_djangos_login_form():
    assert normalize_username("ｇｍ２") == normalize_username("gm2") == normalize_username(" GM2 ")
    assert normalize_username("ﬃ") == "ffi"
    assert normalize_username("gm2") != normalize_username("gm3")


def test_failures_lock_the_user_at_that_address(gm2):
    for _ in range(LIMIT):
        assert _post("gm2", "wrong").status_code == 200
    refused = _post("gm2", PASSWORD)
    assert refused.status_code == 429 and int(refused["Retry-After"]) == settings.NPCADMIN_LOGIN_WINDOW_SECONDS
    assert _post("someone-else", "wrong").status_code == 200  # another account is not locked out


@pytest.mark.parametrize("variant", ["ｇｍ２", "GM2", " gm2 ", "Ｇｍ2"])
def test_unicode_and_case_variants_share_the_lock(gm2, variant):
    for _ in range(LIMIT):
        _post("gm2", "wrong")
    response = _post(variant, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in response.client.session


def test_variants_count_toward_the_same_lock(gm2):
    for name in ["ｇｍ２", "GM2", "Ｇｍ2", "gm2 ", "ｇm2"][:LIMIT]:
        assert _post(name, "wrong").status_code == 200
    assert _post("gm2", PASSWORD).status_code == 429


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(gm2, settings):
    settings.NPCADMIN_TRUSTED_PROXIES = ["10.0.0.1"]
    # The attacker is not the proxy: every rotating X-Forwarded-For is the same client, 203.0.113.9.
    statuses = [_post("gm2", "wrong", addr="203.0.113.9", forwarded=f"192.0.2.{i}").status_code
                for i in range(LIMIT * 3)]
    assert statuses == [200] * LIMIT + [429] * (LIMIT * 2)


def test_behind_a_trusted_proxy_the_client_is_the_last_untrusted_hop(gm2, settings):
    settings.NPCADMIN_TRUSTED_PROXIES = ["10.0.0.0/24"]
    # The client prepends a fake hop; the proxy appends the address it saw (198.51.100.66).
    for i in range(LIMIT):
        assert _post("gm2", "wrong", addr="10.0.0.1", forwarded=f"192.0.2.{i}, 198.51.100.66").status_code == 200
    assert _post("gm2", PASSWORD, addr="10.0.0.2", forwarded="192.0.2.99, 198.51.100.66").status_code == 429
    # The real user behind the same proxy, at their own address, is not locked out.
    assert _post("gm2", PASSWORD, addr="10.0.0.1", forwarded="198.51.100.7").status_code == 302


def test_an_attacker_elsewhere_cannot_lock_the_user_out(gm2):
    for _ in range(LIMIT * 4):
        _post("gm2", "wrong", addr="203.0.113.9")
    assert _post("gm2", "wrong", addr="203.0.113.9").status_code == 429  # the attacker is locked
    assert _post("gm2", PASSWORD, addr="198.51.100.7").status_code == 302  # the user is not


def test_guesses_from_many_addresses_are_slowed_down_per_user(gm2, settings):
    settings.NPCADMIN_LOGIN_SLOWDOWN_SECONDS = 1
    for i in range(LIMIT):
        assert _post("gm2", "wrong", addr=f"203.0.113.{i}").status_code == 200
    assert _post("gm2", "wrong", addr="203.0.113.100").status_code == 200  # one try per interval
    slowed = _post("gm2", PASSWORD, addr="198.51.100.7")
    assert slowed.status_code == 429 and slowed["Retry-After"] == "1"  # seconds, not the 15-minute window
    time.sleep(1.1)
    assert _post("gm2", PASSWORD, addr="198.51.100.7").status_code == 302


def test_a_successful_login_clears_the_failures(gm2):
    for _ in range(LIMIT - 1):
        _post("gm2", "wrong")
    assert _post("gm2", PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        assert _post("gm2", "wrong").status_code == 200


def test_a_bad_trusted_proxy_setting_refuses_to_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from npcadmin.env import trusted_proxies

    monkeypatch.setenv("NPCADMIN_TRUSTED_PROXIES", "10.0.0.1,not-an-ip")
    with pytest.raises(ImproperlyConfigured, match="not-an-ip"):
        trusted_proxies()
    monkeypatch.setenv("NPCADMIN_TRUSTED_PROXIES", "10.0.0.1, 2001:db8::/32")
    assert trusted_proxies() == ["10.0.0.1", "2001:db8::/32"]
