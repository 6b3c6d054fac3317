# The history of behaviour templates (game-master console); depends on the seed contract only.

import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('npcs', '0006_range_validators'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NPCTemplateHistory',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('version', models.IntegerField(help_text="the NPC's `version` after this change")),
                ('behavior_template', models.JSONField(help_text='the template as saved')),
                ('previous_template', models.JSONField(blank=True, help_text='the template before this change', null=True)),
                ('changed_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
                ('reason', models.CharField(blank=True, db_default='', default='', max_length=200)),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.DB_SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('npc', models.ForeignKey(on_delete=django.db.models.deletion.DB_CASCADE, related_name='template_history', to='npcs.npc')),
            ],
            options={
                'verbose_name': 'template version',
                'verbose_name_plural': 'template history',
                'db_table': 'npc_template_history',
                'ordering': ['-changed_at', '-id'],
                'indexes': [models.Index(fields=['npc', '-changed_at'], name='idx_template_history_npc')],
            },
        ),
    ]
