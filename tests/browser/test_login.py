"""A game master logs in and reaches the console."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_game_master_logs_in_and_sees_the_console(gm_page):
    assert "Site administration" in gm_page.content() or "NPC" in gm_page.content()
    gm_page.screenshot(path="/tmp/npcadmin-login.png")
