"""npc_memory as a table range-partitioned by month on occurred_at (seed flaw 2).

Django cannot create a partitioned table, so the database side is raw SQL while Django's
state holds the ordinary model. PostgreSQL's key is (id, occurred_at); Django's is id.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

CREATE_SQL = """
CREATE TABLE npc_memory (
    id BIGSERIAL NOT NULL,
    npc_id INTEGER REFERENCES npcs(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    world_id VARCHAR(50) NOT NULL,
    memory_type VARCHAR(100) NOT NULL CONSTRAINT npc_memory_memory_type_check CHECK (
        memory_type IN (
            'battle', 'trade', 'message', 'alliance_event',
            'strategic_decision', 'building_completed', 'village_founded',
            'treaty_signed', 'treaty_broken', 'player_interaction'
        )
    ),
    event_data JSONB NOT NULL,
    importance DOUBLE PRECISION NOT NULL DEFAULT 0.5
        CONSTRAINT npc_memory_importance_check CHECK (importance BETWEEN 0.0 AND 1.0),
    emotional_weight DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
    game_day INTEGER,
    related_player_ids INTEGER[],
    related_village_ids INTEGER[],
    lesson_learned TEXT,
    behavior_adjustment JSONB,
    accessed_count INTEGER NOT NULL DEFAULT 0,
    last_accessed TIMESTAMP WITH TIME ZONE,
    expires_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    CONSTRAINT npc_memory_pkey PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX idx_memory_npc ON npc_memory (npc_id);
CREATE INDEX idx_memory_type ON npc_memory (memory_type);
CREATE INDEX idx_memory_importance ON npc_memory (importance DESC);
CREATE INDEX idx_memory_occurred ON npc_memory (occurred_at DESC);
CREATE INDEX idx_memory_expires ON npc_memory (expires_at) WHERE expires_at IS NOT NULL;

-- Rows for a month without a partition are kept here, never refused (docs/schema.md).
CREATE TABLE npc_memory_default PARTITION OF npc_memory DEFAULT;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("npcs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(CREATE_SQL, reverse_sql="DROP TABLE npc_memory CASCADE"),
            ],
            state_operations=[
                migrations.CreateModel(
                    name='NPCMemory',
                    fields=[
                        ('id', models.BigAutoField(primary_key=True, serialize=False)),
                        ('world_id', models.CharField(max_length=50)),
                        ('memory_type', models.CharField(choices=[('battle', 'Battle'), ('trade', 'Trade'), ('message', 'Message'), ('alliance_event', 'Alliance Event'), ('strategic_decision', 'Strategic Decision'), ('building_completed', 'Building Completed'), ('village_founded', 'Village Founded'), ('treaty_signed', 'Treaty Signed'), ('treaty_broken', 'Treaty Broken'), ('player_interaction', 'Player Interaction')], max_length=100)),
                        ('event_data', models.JSONField()),
                        ('importance', models.FloatField(db_default=0.5, default=0.5)),
                        ('emotional_weight', models.FloatField(db_default=0.0, default=0.0)),
                        ('occurred_at', models.DateTimeField()),
                        ('game_day', models.IntegerField(blank=True, null=True)),
                        ('related_player_ids', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), blank=True, null=True)),
                        ('related_village_ids', django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), blank=True, null=True)),
                        ('lesson_learned', models.TextField(blank=True, null=True)),
                        ('behavior_adjustment', models.JSONField(blank=True, null=True)),
                        ('accessed_count', models.IntegerField(db_default=0, default=0)),
                        ('last_accessed', models.DateTimeField(blank=True, null=True)),
                        ('expires_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
                        ('npc', models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.DB_CASCADE, related_name='memories', to='npcs.npc')),
                    ],
                    options={
                        'verbose_name': 'memory',
                        'verbose_name_plural': 'memories',
                        'db_table': 'npc_memory',
                        'ordering': ['-occurred_at', '-id'],
                        'indexes': [models.Index(fields=['npc'], name='idx_memory_npc'), models.Index(fields=['memory_type'], name='idx_memory_type'), models.Index(fields=['-importance'], name='idx_memory_importance'), models.Index(fields=['-occurred_at'], name='idx_memory_occurred'), models.Index(condition=models.Q(('expires_at__isnull', False)), fields=['expires_at'], name='idx_memory_expires')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('memory_type__in', ['battle', 'trade', 'message', 'alliance_event', 'strategic_decision', 'building_completed', 'village_founded', 'treaty_signed', 'treaty_broken', 'player_interaction'])), name='npc_memory_memory_type_check', violation_error_message='Memory type must be one of: battle, trade, message, alliance_event, strategic_decision, building_completed, village_founded, treaty_signed, treaty_broken, player_interaction.'), models.CheckConstraint(condition=models.Q(('importance__range', (0.0, 1.0))), name='npc_memory_importance_check', violation_error_message='Importance must be between 0.0 and 1.0.')],
                    },
                ),
            ],
        ),
    ]
