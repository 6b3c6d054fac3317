"""npcadmin/access.py: the decorator, the consumer guard and its message budget, the roles."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, Group
from django.http import HttpResponse
from django.test import RequestFactory

from npcadmin import access
from tests.factories.access import user_in_role


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_budget_allows_a_burst_then_the_rate():
    clock = Clock()
    budget = access.MessageBudget(rate=20, burst=40, clock=clock)
    assert all(budget.take() for _ in range(40))
    assert not budget.take()
    clock.now += 0.5  # ten more tokens
    assert sum(budget.take() for _ in range(20)) == 10


def test_an_unknown_capability_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown capability"):
        access.requires("view_everything")


@pytest.mark.django_db
@pytest.mark.parametrize("role,method,status", [
    ("anonymous", "get", 302), ("not_staff", "get", 302), ("staff_no_group", "get", 403),
    ("analyst", "get", 200), ("analyst", "post", 403), ("game_master", "post", 200),
])
def test_requires_reads_and_writes(role, method, status):
    @access.requires("view_worlds", write="edit_worlds")
    def view(request):
        return HttpResponse("ok")

    request = getattr(RequestFactory(), method)("/worlds/")
    request.user = {"anonymous": lambda: AnonymousUser(),
                    "not_staff": lambda: user_in_role(None, username="player", staff=False),
                    "staff_no_group": lambda: user_in_role(None)}.get(role, lambda: user_in_role(role))()
    try:
        response = view(request)
    except access.PermissionDenied:
        response = HttpResponse(status=403)
    assert response.status_code == status
    assert view.access == access.Rule("npcadmin.view_worlds", "npcadmin.edit_worlds")


@pytest.mark.django_db
def test_roles_sync_is_exact_and_idempotent():
    first = access.roles_sync()
    assert all(change.created for change in first)
    assert all(change.added == 0 and change.removed == 0 for change in access.roles_sync())
    ops = set(Group.objects.get(name="ops").permissions.values_list("content_type__app_label", "codename"))
    assert ("npcadmin", "operate_runtime") in ops and not any(app == "auth" for app, _ in ops)
    analyst = Group.objects.get(name="analyst").permissions.values_list("codename", flat=True)
    assert all(code.startswith("view_") for code in analyst)


class EchoConsumer(access.GuardedConsumerMixin, AsyncJsonWebsocketConsumer):
    capability = "view_runtime"
    max_messages_per_second = 5

    async def connect(self):
        await self.accept()

    async def receive_json(self, content, **kwargs):
        await self.send_json(content)


@pytest.mark.django_db(transaction=True)
async def test_a_consumer_needs_its_capability():
    for role, expected in (("staff_no_group", False), ("analyst", True)):
        user = await database_sync_to_async(lambda r=role: user_in_role(None) if r == "staff_no_group"
                                            else user_in_role(r))()
        communicator = WebsocketCommunicator(EchoConsumer.as_asgi(), "/ws/echo/")
        communicator.scope["user"] = user
        connected, code = await communicator.connect()
        assert connected is expected
        if not expected:
            assert code == access.CLOSE_FORBIDDEN
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_consumer_closes_a_socket_that_floods_it():
    user = await database_sync_to_async(user_in_role)("analyst")
    communicator = WebsocketCommunicator(EchoConsumer.as_asgi(), "/ws/echo/")
    communicator.scope["user"] = user
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"n": 0})
    assert await communicator.receive_json_from() == {"n": 0}  # within the budget: answered
    for n in range(100):
        await communicator.send_json_to({"n": n})
    echoed, closed = 0, None
    while closed is None:
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            closed = output["code"]
        else:
            echoed += 1
    assert closed == access.CLOSE_TOO_MANY_MESSAGES and echoed < 15
    await communicator.disconnect()
