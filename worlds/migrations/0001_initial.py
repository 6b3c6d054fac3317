"""The world database: the game's `villages` and the seed's NPC extensions to it.

`villages` is created only where NPC Admin owns it: with NPCADMIN_VILLAGES_UNMANAGED=true the
model is unmanaged and this migration skips it (the live game server's table is used as is),
while `npc_village_config` and `npc_build_queue_history` still reference it ON DELETE CASCADE.
The option is read from settings here too, so the migration state always matches the model.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
import worlds.models.base
import worlds.models.village_config
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='Village',
            fields=[
                ('id', models.AutoField(primary_key=True, serialize=False)),
                ('player_id', models.IntegerField(help_text="owner (player id in this world; an NPC's is in npc_world_state)")),
                ('name', models.CharField(max_length=100)),
                ('x', models.IntegerField()),
                ('y', models.IntegerField()),
                ('population', models.IntegerField(db_default=0, default=0)),
                ('is_capital', models.BooleanField(db_default=False, default=False)),
                ('wood', models.IntegerField(db_default=0, default=0)),
                ('clay', models.IntegerField(db_default=0, default=0)),
                ('iron', models.IntegerField(db_default=0, default=0)),
                ('wheat', models.IntegerField(db_default=0, default=0)),
                ('wood_production', models.IntegerField(db_default=0, default=0, help_text='per hour')),
                ('clay_production', models.IntegerField(db_default=0, default=0, help_text='per hour')),
                ('iron_production', models.IntegerField(db_default=0, default=0, help_text='per hour')),
                ('wheat_production', models.IntegerField(db_default=0, default=0, help_text='per hour (net of troop upkeep)')),
                ('warehouse_capacity', models.IntegerField(db_default=800, default=800, help_text='wood, clay and iron')),
                ('granary_capacity', models.IntegerField(db_default=800, default=800, help_text='wheat')),
                ('buildings', models.JSONField(db_default=models.Value({}, models.JSONField()), default=dict, help_text='building levels, e.g. {"barracks": 3}')),
                ('troops', models.JSONField(db_default=models.Value({}, models.JSONField()), default=dict, help_text='units at home, e.g. {"legionnaire": 120}')),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
            ],
            options={
                'db_table': 'villages',
                'ordering': ['name', 'id'],
                'managed': not settings.NPCADMIN_VILLAGES_UNMANAGED,
            },
        ),
        migrations.CreateModel(
            name='NPCBuildQueueHistory',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('npc_id', models.IntegerField(help_text='global npcs.id', validators=[worlds.models.base.validate_npc_exists])),
                ('building_name', models.CharField(max_length=100)),
                ('from_level', models.IntegerField()),
                ('to_level', models.IntegerField()),
                ('queued_at', models.DateTimeField()),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('cost_wood', models.IntegerField(blank=True, null=True)),
                ('cost_clay', models.IntegerField(blank=True, null=True)),
                ('cost_iron', models.IntegerField(blank=True, null=True)),
                ('cost_wheat', models.IntegerField(blank=True, null=True)),
                ('wait_time_seconds', models.IntegerField(blank=True, help_text='from queued to started', null=True)),
                ('build_time_seconds', models.IntegerField(blank=True, null=True)),
                ('priority_score', models.FloatField(blank=True, null=True)),
                ('decision_reason', models.TextField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
            ],
            options={
                'verbose_name': 'NPC build',
                'verbose_name_plural': 'NPC build queue history',
                'db_table': 'npc_build_queue_history',
                'ordering': ['-completed_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='NPCVillageConfig',
            fields=[
                ('village', models.OneToOneField(db_column='village_id', on_delete=django.db.models.deletion.DB_CASCADE, primary_key=True, related_name='npc_config', serialize=False, to='worlds.village')),
                ('npc_id', models.IntegerField(help_text='global npcs.id (another database: checked by the application)', validators=[worlds.models.base.validate_npc_exists])),
                ('village_type', models.CharField(blank=True, choices=[('capital', 'Capital'), ('military', 'Military'), ('economic', 'Economic'), ('farming', 'Farming'), ('defensive', 'Defensive')], max_length=50, null=True)),
                ('build_template_name', models.CharField(blank=True, max_length=100, null=True)),
                ('current_build_phase', models.CharField(blank=True, choices=[('early', 'Early'), ('mid', 'Mid'), ('late', 'Late'), ('endgame', 'Endgame')], max_length=50, null=True)),
                ('auto_build_enabled', models.BooleanField(db_default=True, default=True)),
                ('next_scheduled_build', models.DateTimeField(blank=True, null=True)),
                ('build_queue_strategy', models.JSONField(blank=True, null=True, validators=[worlds.models.village_config.validate_json_object])),
                ('resource_priority', models.JSONField(blank=True, help_text='{"wood": 1, "clay": 2, "iron": 3, "wheat": 4}', null=True, validators=[worlds.models.village_config.validate_resource_priority])),
                ('warehouse_reserve', models.IntegerField(db_default=5000, default=5000, help_text='kept in reserve')),
                ('troop_training_enabled', models.BooleanField(db_default=True, default=True)),
                ('training_queue_strategy', models.JSONField(blank=True, null=True, validators=[worlds.models.village_config.validate_json_object])),
                ('auto_raid_enabled', models.BooleanField(db_default=False, default=False)),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
                ('updated_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
            ],
            options={
                'verbose_name': 'NPC village configuration',
                'db_table': 'npc_village_config',
                'ordering': ['village_id'],
            },
        ),
        migrations.AddIndex(
            model_name='village',
            index=models.Index(fields=['player_id'], name='idx_villages_player'),
        ),
        migrations.AddConstraint(
            model_name='village',
            constraint=models.UniqueConstraint(fields=('x', 'y'), name='villages_x_y_key', violation_error_message='Another village already stands on these coordinates.'),
        ),
        migrations.AddField(
            model_name='npcbuildqueuehistory',
            name='village',
            field=models.ForeignKey(db_column='village_id', db_index=False, null=True, on_delete=django.db.models.deletion.DB_CASCADE, related_name='build_history', to='worlds.village'),
        ),
        migrations.AddIndex(
            model_name='npcvillageconfig',
            index=models.Index(fields=['npc_id'], name='idx_npc_village_npc'),
        ),
        migrations.AddIndex(
            model_name='npcvillageconfig',
            index=models.Index(fields=['village_type'], name='idx_npc_village_type'),
        ),
        migrations.AddConstraint(
            model_name='npcvillageconfig',
            constraint=models.CheckConstraint(condition=models.Q(('village_type__in', ['capital', 'military', 'economic', 'farming', 'defensive'])), name='npc_village_config_village_type_check', violation_error_message='Village type must be one of: capital, military, economic, farming, defensive.'),
        ),
        migrations.AddIndex(
            model_name='npcbuildqueuehistory',
            index=models.Index(fields=['village'], name='idx_build_queue_village'),
        ),
        migrations.AddIndex(
            model_name='npcbuildqueuehistory',
            index=models.Index(fields=['npc_id'], name='idx_build_queue_npc'),
        ),
        migrations.AddIndex(
            model_name='npcbuildqueuehistory',
            index=models.Index(fields=['-completed_at'], name='idx_build_queue_completed'),
        ),
        migrations.AddIndex(
            model_name='npcbuildqueuehistory',
            index=models.Index(fields=['village', '-completed_at', '-id'], name='idx_build_queue_village_recent'),
        ),
    ]
