"""Memory recall: which memories an NPC would bring to mind in a situation, and why."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from npcadmin.access import allowed, requires
from npcs.mind import recall
from npcs.mind.forms import MemoryAdjustForm, RecallForm, bind
from npcs.mind.services import memory_adjust, memory_audit_trail
from npcs.mind.views.access import in_utc
from npcs.models import NPC, NPCMemory
from npcs.selectors import name_memories_and_battles


def _worlds_of(npc: NPC) -> list[str]:
    return list(npc.world_states.order_by("world_id").values_list("world_id", flat=True))


@requires("view_mind")
@in_utc
def memory_recall(request, npc_id: int):
    """Rank one NPC's memories for a typed situation; each row shows its score components."""
    npc = get_object_or_404(NPC.objects.only("id", "name", "personality", "tribe"), pk=npc_id)
    as_of = timezone.now()
    form = bind(RecallForm, request.GET, RecallForm.defaults(as_of), worlds=_worlds_of(npc))
    context = {"npc": npc, "form": form, "as_of": as_of, "console_url": reverse("admin:npcs_npc_change", args=[npc.pk]),
               "can_adjust": allowed(request.user, "edit_mind")}
    if form.is_valid():
        query = form.to_query()
        ranked = list(recall.memories_ranked(npc_id=npc.pk, query=query, as_of=as_of))
        w = query.weights
        for memory in ranked:
            memory.contributions = {
                "recency": w.recency * memory.recency,
                "importance": w.importance * memory.importance,
                "emotion": w.emotion * memory.emotion,
                "relevance": w.relevance * memory.relevance,
            }
        context.update(
            query=query,
            ranked=ranked,
            half_life=recall.half_life_for_decay(query.decay_per_hour),
            expiring=list(recall.memories_expiring_soon(npc_id=npc.pk, as_of=as_of, world_id=query.world_id)),
            lessons=recall.lesson_entries(recall.lessons_timeline(npc_id=npc.pk, query=query)),
            expiring_days=recall.EXPIRING_SOON.days,
        )
        name_memories_and_battles(memories=ranked)
    return render(request, "mind/recall.html", context)


@requires("view_mind", write="edit_mind")
@require_http_methods(["GET", "POST"])
@in_utc
def memory_adjust_view(request, memory_id: int):
    """Change a memory's importance or expiry (audited), then go back to where the GM came from."""
    memory = get_object_or_404(NPCMemory.objects.select_related("npc"), pk=memory_id)
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("mind:memory_recall", args=[memory.npc_id]) if memory.npc_id else reverse("admin:index")
    if request.method == "POST":
        form = MemoryAdjustForm(request.POST)
        if form.is_valid():
            try:
                memory_adjust(memory=memory, by_user=request.user, importance=form.cleaned_data["importance"],
                              expires_at=form.cleaned_data["expires_at"], reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            except NPCMemory.DoesNotExist as gone:  # the engine's cleanup removed it meanwhile
                raise Http404("This memory no longer exists.") from gone
            else:
                messages.success(request, f"Memory {memory.pk} updated; the change is in the audit log.")
                # Not redirect(back): it would first try `back` as a URL name, and a `next`
                # such as "nan" (a relative URL, so allowed) raised NoReverseMatch, a 500.
                return HttpResponseRedirect(back)
    else:
        form = MemoryAdjustForm(initial={"importance": memory.importance, "expires_at": memory.expires_at})
    name_memories_and_battles(memories=[memory])
    return render(request, "mind/memory_adjust.html", {
        "memory": memory, "form": form, "back": back, "audit": memory_audit_trail(memory),
        "lesson": recall.lesson_entries([memory])[0],
    })
