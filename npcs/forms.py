"""Console forms: the behaviour template as fields people understand, treaties as rows, stances as lists."""

from __future__ import annotations

import contextlib
import json

from django import forms
from django.core.exceptions import ValidationError

from npcadmin import audit
from npcadmin.edits import SharedRowForm
from npcadmin.jsonb import StorableJSONField, validate_jsonb_storable
from npcs.choices import BEHAVIOR_WEIGHTS, Personality, RelationshipType, TreatyType, Tribe
from npcs.models import NPC, NPCAlliance, NPCRelationship, NPCWorldState
from npcs.models.alliance import STANCE_KEYS
from npcs.models.npc import validate_behavior_template
from npcs.selectors import NPC_EDIT_FIELDS

TEMPLATE_LISTS = ("building_priority", "goals")
TEMPLATE_FORM_KEYS = (*BEHAVIOR_WEIGHTS, *TEMPLATE_LISTS)

WEIGHT_HELP = {
    "aggression": "0 = never attacks first, 1 = attacks whenever it can win",
    "economy": "0 = ignores the economy, 1 = production above all",
    "diplomacy": "0 = never negotiates, 1 = seeks treaties and alliances",
    "risk_tolerance": "0 = only sure things, 1 = gambles freely",
    "patience": "0 = acts at once, 1 = waits for the best moment",
    "adaptability": "0 = sticks to its plan, 1 = changes course readily",
}


class WeightInput(forms.NumberInput):
    """A number input (0..1) paired with a slider that mirrors it; the number is what is submitted."""

    template_name = "npcs/widgets/weight.html"

    class Media:
        js = ("npcs/console-widgets.js",)

    def __init__(self, attrs=None):
        super().__init__({"min": "0", "max": "1", "step": "0.01", "class": "weight-number", **(attrs or {})})


class OrderedListField(forms.CharField):
    """A list of names edited one per line; the order of the lines is the priority."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "ordered-list", "spellcheck": "false"})
    # CharField's own NUL check looks at str(list), where a NUL shows as the text "\x00".
    default_validators = [validate_jsonb_storable]

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        value = super().to_python(value) or ""
        return [line.strip() for line in value.splitlines() if line.strip()]

    def has_changed(self, initial, data):
        # CharField's comparison saw a missing list ("") and an empty one ([]) as a change.
        before = initial if isinstance(initial, list) else self.to_python(initial or "")
        return before != self.to_python(data)


class UnitNumberInput(forms.NumberInput):
    """A number input followed by its unit."""

    template_name = "npcs/widgets/unit_number.html"

    def __init__(self, unit: str, attrs=None):
        self.unit = unit
        super().__init__(attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["unit"] = self.unit
        return context


def _weight_field(key: str) -> forms.FloatField:
    return forms.FloatField(required=False, min_value=0.0, max_value=1.0, widget=WeightInput(),
                            label=key.replace("_", " ").capitalize(), help_text=f"0..1 — {WEIGHT_HELP[key]}")


class NPCForm(SharedRowForm):
    """An NPC with its behaviour template split into fields; unknown template keys kept as raw JSON."""

    aggression = _weight_field("aggression")
    economy = _weight_field("economy")
    diplomacy = _weight_field("diplomacy")
    risk_tolerance = _weight_field("risk_tolerance")
    patience = _weight_field("patience")
    adaptability = _weight_field("adaptability")
    building_priority = OrderedListField(required=False, help_text="One building per line, highest priority first.")
    goals = OrderedListField(required=False, help_text="One goal per line, most important first.")
    extra_template = StorableJSONField(
        required=False, label="Other template keys (raw JSON)",
        widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField json", "spellcheck": "false"}),
        help_text="Keys of the behaviour template this form has no field for. They are saved as they are.",
    )

    edit_fields = NPC_EDIT_FIELDS
    column_sources = {"behavior_template": (*TEMPLATE_FORM_KEYS, "extra_template")}
    conflict_what = "NPC"

    class Meta:
        model = NPC
        fields = ("name", "tribe", "personality", "active", "paused", "llm_temperature", "decision_cache_ttl",
                  "strategic_update_frequency", "notes")
        widgets = {
            "llm_temperature": UnitNumberInput("0 (deterministic) – 2 (creative)",
                                               attrs={"min": "0", "max": "2", "step": "0.05"}),
            "decision_cache_ttl": UnitNumberInput("seconds", attrs={"min": "0", "step": "60"}),
            "strategic_update_frequency": UnitNumberInput("seconds", attrs={"min": "60", "step": "60"}),
        }
        labels = {
            "llm_temperature": "LLM temperature",
            "decision_cache_ttl": "Decision cache TTL",
        }
        help_texts = {
            "llm_temperature": "Sampling temperature of the NPC's LLM calls, 0.0 to 2.0.",
            "decision_cache_ttl": "How long a decision stays cached (3600 = 1 hour).",
            "strategic_update_frequency": "Time between strategic reviews (86400 = daily).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        template = self.instance.behavior_template if isinstance(self.instance.behavior_template, dict) else {}
        if not self.instance.pk and not template:
            template = self.initial.get("behavior_template") or {}
        for key in TEMPLATE_FORM_KEYS:
            if key in template:
                self.initial.setdefault(key, template[key])
        self.initial.setdefault("extra_template", {k: v for k, v in template.items() if k not in TEMPLATE_FORM_KEYS})
        self._template_order = list(template)
        self._template = template

    def clean_extra_template(self):
        extra = self.cleaned_data.get("extra_template")
        if extra in (None, ""):
            return {}
        if not isinstance(extra, dict):
            raise ValidationError("Must be a JSON object, e.g. {\"scouting\": 0.4}.")
        clashes = sorted(set(extra) & set(TEMPLATE_FORM_KEYS))
        if clashes:
            raise ValidationError(f"{', '.join(clashes)} have their own fields above; remove them here.")
        return extra

    def behavior_template(self) -> dict:
        """The stored template with only the keys the person changed replaced, in the stored order.

        A weight the engine wrote as 0.123456 stays exactly that unless its field was edited.
        """
        data, changed = self.cleaned_data, set(self.changed_data)
        values = dict(self._template)
        if "extra_template" in changed:
            for key in [k for k in values if k not in TEMPLATE_FORM_KEYS]:
                del values[key]
            values.update(data.get("extra_template") or {})
        for key in BEHAVIOR_WEIGHTS:
            if key in changed:
                if data.get(key) is None:
                    values.pop(key, None)
                else:
                    values[key] = round(float(data[key]), 4)
        for key in TEMPLATE_LISTS:
            if key in changed:
                if data.get(key):
                    values[key] = list(data[key])
                else:
                    values.pop(key, None)
        ordered = {key: values[key] for key in self._template_order if key in values}
        ordered.update({key: value for key, value in values.items() if key not in ordered})
        return ordered

    def clean(self):
        cleaned = super().clean()
        if any(key in self.errors for key in (*TEMPLATE_FORM_KEYS, "extra_template")):
            return cleaned
        template = self.behavior_template()
        try:
            validate_behavior_template(template)
        except ValidationError as exc:
            for error in exc.error_list:
                message = error.message % (error.params or {})
                target = next((key for key in TEMPLATE_FORM_KEYS if message.startswith(key)), None)
                self.add_error(target, message)
        self.instance.behavior_template = template
        self.check_concurrent_edit()
        return cleaned

    def conflict_who(self, current: NPC) -> str:
        """The last console user who saved this NPC, if the audit trail knows one."""
        last = audit.entries_for("npcs.npc", current.pk).first()
        version = f"; it is now at template version {current.version}"
        return f" ({last.actor_name}, {last.at:%Y-%m-%d %H:%M:%S %Z}){version}" if last else version

    def npc_data(self) -> dict:
        """The values for `services.npc_update` (only the changed ones) / `npc_create` (all of them)."""
        columns = self.changed_columns() if self.instance.pk else [*NPCForm.Meta.fields, "behavior_template"]
        data = {field: self.cleaned_data[field] for field in columns if field in self.cleaned_data}
        if "behavior_template" in columns:
            data["behavior_template"] = self.instance.behavior_template
        return data


class CloneNPCForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The clone's name (NPC names are unique).")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if NPC.objects.filter(name=name).exists():
            raise ValidationError("An NPC with this name already exists.")
        return name


class PresetNPCForm(CloneNPCForm):
    tribe = forms.ChoiceField(choices=Tribe.choices)
    personality = forms.ChoiceField(choices=Personality.choices,
                                    help_text="The behaviour template starts as this personality's preset.")


class RelationshipTypeForm(forms.Form):
    relationship_type = forms.ChoiceField(choices=RelationshipType.choices, label="New type")


# --- Treaties ---------------------------------------------------------------------------------

TREATY_KEYS = ("type", "start", "end", "terms")
SHOWN_KEY = "__shown__"


def _treaty_text(value) -> str:
    """A treaty value as its input shows it: text as it is, anything else (a JSON `terms`) as JSON."""
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def _treaty_value(key: str, text: str):
    """A typed treaty input: `terms` that is a JSON object or list stays JSON, anything else is text."""
    if key == "terms" and text[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            return json.loads(text)
    return text


class TreatyListWidget(forms.Widget):
    """`treaties_active` as editable rows (type, start, end, terms) plus one blank row to add."""

    template_name = "npcs/widgets/treaties.html"

    class Media:
        js = ("npcs/console-widgets.js",)

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        return value if isinstance(value, list) else []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = []
        for treaty in [*context["widget"]["value"], {}]:
            treaty = treaty if isinstance(treaty, dict) else {}
            shown = {k: _treaty_text(treaty[k]) for k in TREATY_KEYS if k in treaty}
            extra = {k: v for k, v in treaty.items() if k not in TREATY_KEYS}
            if shown:
                # What each input showed and the value behind it: an input sent back unchanged
                # gives back that exact value (a JSON `terms` object stays an object, a null a null).
                extra[SHOWN_KEY] = {k: [shown[k], treaty[k]] for k in shown}
            rows.append({**{k: shown.get(k, "") for k in TREATY_KEYS},
                         "extra": json.dumps(extra, ensure_ascii=False) if extra else ""})
        context["widget"].update(rows=rows, types=[(value, value.replace("_", " ")) for value in TreatyType.values])
        return context

    def value_from_datadict(self, data, files, name):
        try:
            total = min(int(data.get(f"{name}-TOTAL", 0)), 200)
        except (TypeError, ValueError):
            total = 0
        treaties = []
        for i in range(total):
            if data.get(f"{name}-{i}-DELETE"):
                continue
            sent = {key: data.get(f"{name}-{i}-{key}") or "" for key in TREATY_KEYS}
            extra = {}
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                extra.update(json.loads(data.get(f"{name}-{i}-extra") or "{}"))
            shown = extra.pop(SHOWN_KEY, None)
            shown = shown if isinstance(shown, dict) else {}
            cleared = not any(value.strip() for value in sent.values())
            if cleared and (not shown or any(b[0] for b in shown.values() if isinstance(b, list) and b)):
                continue  # the blank row, or a treaty whose inputs were all emptied
            treaty = dict(extra)
            for key, text in sent.items():
                before = shown.get(key)
                if isinstance(before, list) and len(before) == 2 and before[0] == text:
                    treaty[key] = before[1]  # untouched: the stored value, exactly
                elif text.strip():
                    treaty[key] = _treaty_value(key, text.strip())
            treaties.append(treaty)
        return treaties

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-TOTAL" not in data


class TreatyListField(StorableJSONField):
    widget = TreatyListWidget

    def to_python(self, value):
        return value if isinstance(value, list) else super().to_python(value)

    def bound_data(self, data, initial):
        return data

    def prepare_value(self, value):
        return value


class RelationshipForm(SharedRowForm):
    """Type, trust and treaties of a relationship; the interaction history is the engine's (read-only)."""

    treaties_active = TreatyListField(
        required=False, label="Treaties",
        help_text="Each treaty needs a type and a start date; the end date, if any, must be after the start.",
    )
    edit_fields = ("npc", "world_id", "target_player_id", "relationship_type", "trust_score", "treaties_active")
    conflict_what = "relationship"

    class Meta:
        model = NPCRelationship
        fields = ("npc", "world_id", "target_player_id", "relationship_type", "trust_score", "treaties_active")
        labels = {"npc": "NPC", "world_id": "World"}

    def clean_treaties_active(self):
        return self.cleaned_data.get("treaties_active") or []

    def clean(self):
        cleaned = super().clean()
        self.check_concurrent_edit()
        return cleaned


# --- Alliances --------------------------------------------------------------------------------

class AllianceIdsField(forms.CharField):
    """A list of alliance ids typed as `12, 40, 7`."""

    def prepare_value(self, value):
        return ", ".join(str(i) for i in value) if isinstance(value, list) else value

    def to_python(self, value):
        value = super().to_python(value) or ""
        ids = []
        for part in value.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.lstrip("-").isdigit():
                raise ValidationError(f"{part!r} is not an alliance id (whole numbers separated by commas).")
            ids.append(int(part))
        return list(dict.fromkeys(ids))


STANCE_LABELS = {"allied_alliances": "Allied alliances", "enemy_alliances": "Enemy alliances",
                 "nap_alliances": "NAP alliances"}


class AllianceForm(SharedRowForm):
    """An alliance with its diplomatic stance as three id lists; member totals are the engine's."""

    allied_alliances = AllianceIdsField(required=False, label=STANCE_LABELS["allied_alliances"],
                                        help_text="Alliance ids, separated by commas.")
    enemy_alliances = AllianceIdsField(required=False, label=STANCE_LABELS["enemy_alliances"])
    nap_alliances = AllianceIdsField(required=False, label=STANCE_LABELS["nap_alliances"],
                                     help_text="Alliances with a non-aggression pact.")

    edit_fields = ("world_id", "alliance_id", "name", "tag", "npc_leader", "alliance_strategy", "diplomatic_stance")
    column_sources = {"diplomatic_stance": STANCE_KEYS}
    conflict_what = "alliance"

    class Meta:
        model = NPCAlliance
        fields = ("world_id", "alliance_id", "name", "tag", "npc_leader", "alliance_strategy")
        labels = {"npc_leader": "NPC leader", "world_id": "World"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stance = self.instance.diplomatic_stance if isinstance(self.instance.diplomatic_stance, dict) else {}
        for key in STANCE_KEYS:
            self.initial.setdefault(key, stance.get(key, []))

    def clean(self):
        cleaned = super().clean()
        seen: dict[int, str] = {}
        stance = {}
        for key in STANCE_KEYS:
            if key in self.errors:
                return cleaned
            ids = cleaned.get(key) or []
            for alliance in ids:
                if alliance in seen:
                    self.add_error(key, f"Alliance {alliance} is already in {STANCE_LABELS[seen[alliance]]}; "
                                        "an alliance can have only one stance.")
                seen.setdefault(alliance, key)
            stance[key] = ids
        own = cleaned.get("alliance_id")
        if own is not None and own in seen:
            self.add_error(seen[own], "An alliance cannot have a stance towards itself.")
        if any(key in self.changed_data for key in STANCE_KEYS):
            self.instance.diplomatic_stance = stance if any(stance.values()) else None
        self.check_concurrent_edit()
        return cleaned


# --- World states -----------------------------------------------------------------------------

class WorldStateForm(SharedRowForm):
    """What a game master steers in an NPC's world state; ranks, resources, powers and troops are the engine's."""

    edit_fields = ("npc", "world_id", "player_id", "current_strategy", "strategic_goal", "threat_level",
                   "alliance_id", "alliance_role")
    conflict_what = "world state"

    class Meta:
        model = NPCWorldState
        fields = ("npc", "world_id", "player_id", "current_strategy", "strategic_goal", "threat_level",
                  "alliance_id", "alliance_role")
        labels = {"npc": "NPC", "world_id": "World"}

    def clean(self):
        cleaned = super().clean()
        self.check_concurrent_edit()
        return cleaned
