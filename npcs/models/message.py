"""Messages NPCs send to players (`npc_messages`)."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from npcs.choices import MessageType
from npcs.models.fields import check_in, created_at


class NPCMessage(models.Model):
    """A message an NPC sent, how it was generated, and whether it achieved its aim."""

    id = models.BigAutoField(primary_key=True)
    world_id = models.CharField(max_length=50)
    # Seed flaw 5: no ON DELETE, so the database refuses to delete an NPC that sent messages.
    from_npc = models.ForeignKey("npcs.NPC", on_delete=models.PROTECT, null=True, db_index=False,
                                 related_name="messages_sent_set")
    to_player_id = models.IntegerField()
    to_is_npc = models.BooleanField(default=False, db_default=False)
    subject = models.CharField(max_length=200, null=True, blank=True)
    message_body = models.TextField()
    message_type = models.CharField(max_length=50, null=True, blank=True, choices=MessageType.choices)
    generated_by_llm = models.BooleanField(default=True, db_default=True)
    llm_prompt = models.TextField(null=True, blank=True)
    generation_time_ms = models.IntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(db_default=Now())
    read_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    reply_message = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, db_index=False,
                                      related_name="replies")
    response_received = models.BooleanField(default=False, db_default=False)
    response_positive = models.BooleanField(null=True, blank=True)
    objective_achieved = models.BooleanField(null=True, blank=True)
    created_at = created_at()

    class Meta:
        db_table = "npc_messages"
        verbose_name = "message"
        ordering = ["-sent_at", "-id"]
        constraints = [check_in("npc_messages", "message_type", MessageType, "Message type")]
        indexes = [
            models.Index(fields=["from_npc"], name="idx_messages_from"),
            models.Index(fields=["world_id", "to_player_id"], name="idx_messages_to"),
            models.Index(fields=["-sent_at"], name="idx_messages_sent"),
            models.Index(fields=["read_at"], name="idx_messages_unread", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.subject or f"message #{self.id}"
