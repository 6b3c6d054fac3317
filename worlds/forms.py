"""Forms of the world pages: a village's NPC configuration and the build-history filters."""

from __future__ import annotations

from django import forms

from npcadmin.edits import SharedRowForm
from npcadmin.jsonb import StorableJSONField, jsonb_problem
from npcs.choices import Resource
from worlds.choices import Building, VillageType
from worlds.models import NPCVillageConfig
from worlds.services import EDITABLE_CONFIG_FIELDS

RANK_CHOICES = [("", "–")] + [(str(r), str(r)) for r in range(1, 5)]


class ResourcePriorityWidget(forms.MultiWidget):
    """One rank selector per resource, each labelled."""

    template_name = "worlds/widgets/resource_priority.html"

    def __init__(self, attrs=None):
        super().__init__({r: forms.Select(choices=RANK_CHOICES, attrs={"aria-label": f"{r} rank"})
                          for r in Resource.values}, attrs)

    def decompress(self, value):
        value = value if isinstance(value, dict) else {}
        return [value.get(r) for r in Resource.values]


class ResourcePriorityField(forms.MultiValueField):
    """`{"wood": 1, "clay": 2, "iron": 3, "wheat": 4}` from four rank selectors (all empty = none)."""

    widget = ResourcePriorityWidget

    def __init__(self, **kwargs):
        for ignored in ("encoder", "decoder", "required", "max_length"):
            kwargs.pop(ignored, None)
        fields = [forms.TypedChoiceField(choices=RANK_CHOICES, coerce=int, required=False) for _ in Resource.values]
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list):
        if not data_list or all(v in (None, "") for v in data_list):
            return None
        if any(v in (None, "") for v in data_list):
            raise forms.ValidationError("Give every resource a rank, or none at all.", code="incomplete")
        return dict(zip(Resource.values, data_list, strict=True))


class StrategyJSONField(StorableJSONField):
    default_error_messages = {"invalid": 'Enter valid JSON, e.g. {"max_queue": 2}.'}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "cols": 50, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        import json

        if isinstance(value, forms.fields.InvalidJSONInput) or value is None or jsonb_problem(value):
            return super().prepare_value(value)
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


class VillageConfigForm(SharedRowForm):
    """The game master's editor of one NPC village; its edit token guards against lost updates
    (checked by `village_config_update`, which writes only the changed columns)."""

    edit_fields = EDITABLE_CONFIG_FIELDS
    conflict_what = "village configuration"

    class Meta:
        model = NPCVillageConfig
        fields = EDITABLE_CONFIG_FIELDS
        field_classes = {"resource_priority": ResourcePriorityField, "build_queue_strategy": StrategyJSONField,
                         "training_queue_strategy": StrategyJSONField}
        labels = {"troop_training_enabled": "Troop training", "auto_build_enabled": "Auto-build",
                  "auto_raid_enabled": "Auto-raid"}
        help_texts = {"resource_priority": "1 = gathered first; each rank once.",
                      "warehouse_reserve": "Resources kept back from building and training.",
                      "build_queue_strategy": "A JSON object read by the engine, or empty.",
                      "training_queue_strategy": "A JSON object read by the engine, or empty."}
        widgets = {"warehouse_reserve": forms.NumberInput(attrs={"min": 0, "step": 100})}

    def clean_warehouse_reserve(self):
        value = self.cleaned_data["warehouse_reserve"]
        if value is not None and value < 0:
            raise forms.ValidationError("The reserve cannot be negative.")
        return value

    def changes(self) -> dict:
        """The columns the person changed, with their new values."""
        return {name: self.cleaned_data[name] for name in self.changed_columns()}


class VillageFilterForm(forms.Form):
    npc = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="NPC")
    village_type = forms.ChoiceField(choices=[("", "any")] + VillageType.choices, required=False, label="Type")
    q = forms.CharField(required=False, label="Village name", max_length=100)

    def __init__(self, *args, npc_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["npc"].choices = [("", "any")] + [(str(i), name) for i, name in npc_choices]


class BuildHistoryFilterForm(VillageFilterForm):
    """Building, NPC, village and a completed-at range (builds still running have none)."""

    village_type = None
    q = None
    building = forms.ChoiceField(choices=[("", "any")] + Building.choices, required=False)
    village = forms.IntegerField(required=False, min_value=1, label="Village id")
    completed_from = forms.DateTimeField(required=False, label="Completed from",
                                         widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    completed_to = forms.DateTimeField(required=False, label="Completed before",
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("completed_from"), data.get("completed_to")
        if start and end and end <= start:
            self.add_error("completed_to", "The end of the range must be after its start.")
        return data
