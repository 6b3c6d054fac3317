"""Forms of the mind pages: every query parameter is validated before it reaches SQL."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from npcs.choices import DecisionType, MemoryType
from npcs.mind import recall, traces, usage
from npcs.mind.recall import RecallQuery, RecallWeights, day_start

WEIGHT_FIELDS = ("w_recency", "w_importance", "w_emotion", "w_relevance")
MAX_WEIGHT = 10.0


def bind(form_class, query_dict, defaults: dict, **kwargs):
    """Bind a GET form; blank or missing parameters take their default (shown in the inputs)."""
    data = dict(defaults)
    data.update({key: value for key, value in query_dict.items() if value != ""})
    if "situation" in query_dict:
        data["situation"] = query_dict["situation"]
    return form_class(data, **kwargs)


def world_choices(worlds, data) -> list[tuple[str, str]]:
    """The NPC's worlds, the configured ones, and a requested world id seen in links (e.g. a
    decision's world the NPC has no state row for): filtering on it is only an equality."""
    known = set(worlds) | set(settings.NPCADMIN_WORLDS)
    requested = (data or {}).get("world") or ""
    if requested and len(requested) <= 50 and "\x00" not in requested:  # PostgreSQL text holds no NUL
        known.add(requested)
    return [("", "all worlds"), *((w, w) for w in sorted(known))]


def _date_range_errors(since, until, max_days: int) -> list[str]:
    if since and until and since > until:
        return ["The start date must not be after the end date."]
    if since and until and (until - since).days > max_days:
        return [f"Choose a range of at most {max_days} days."]
    return []


def _weight_field(label: str) -> forms.FloatField:
    return forms.FloatField(label=label, min_value=0.0, max_value=MAX_WEIGHT,
                            widget=forms.NumberInput({"step": "0.05", "style": "width: 5em"}))


class RecallForm(forms.Form):
    """What to recall: a situation, filters, and how to weigh recency, importance, emotion and relevance."""

    situation = forms.CharField(required=False, max_length=500, label="Situation",
                                widget=forms.TextInput({"placeholder": "e.g. PlayerXYZ attacks my capital",
                                                        "size": 40}))
    world = forms.ChoiceField(required=False, label="World")
    type = forms.ChoiceField(required=False, label="Type", choices=[("", "any"), *MemoryType.choices])
    player = forms.IntegerField(required=False, min_value=0, label="Related player id")
    since = forms.DateField(label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(label="To (inclusive)", widget=forms.DateInput({"type": "date"}))
    w_recency = _weight_field("Recency weight")
    w_importance = _weight_field("Importance weight")
    w_emotion = _weight_field("Emotion weight")
    w_relevance = _weight_field("Relevance weight")
    decay = forms.FloatField(required=False, label="Decay per hour", min_value=0.5, max_value=0.999999,
                             widget=forms.NumberInput({"step": "0.001"}))
    half_life = forms.FloatField(required=False, label="or half-life (hours)", min_value=0.1, max_value=100_000,
                                 help_text="Overrides the decay when given.")
    limit = forms.IntegerField(label="Rows", min_value=1, max_value=recall.MAX_LIMIT)

    def __init__(self, *args, worlds: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["world"].choices = world_choices(worlds, self.data)

    @staticmethod
    def defaults(as_of: datetime.datetime) -> dict:
        since, until = recall.default_window(as_of)
        weights = RecallWeights()
        return {
            "since": since.date().isoformat(),
            "until": (until - datetime.timedelta(days=1)).date().isoformat(),
            "w_recency": weights.recency, "w_importance": weights.importance,
            "w_emotion": weights.emotion, "w_relevance": weights.relevance,
            "decay": recall.DEFAULT_DECAY_PER_HOUR, "limit": recall.DEFAULT_LIMIT,
        }

    def clean(self):
        data = super().clean()
        for message in _date_range_errors(data.get("since"), data.get("until"), recall.MAX_WINDOW_DAYS):
            self.add_error("until", message)
        weights = [data.get(name) for name in WEIGHT_FIELDS]
        if all(w is not None for w in weights) and not any(weights):
            raise ValidationError("At least one weight must be above zero.")
        return data

    def decay_per_hour(self) -> float:
        data = self.cleaned_data
        if data.get("half_life"):
            return recall.decay_for_half_life(data["half_life"])
        return data.get("decay") or recall.DEFAULT_DECAY_PER_HOUR

    def to_query(self) -> RecallQuery:
        data = self.cleaned_data
        return RecallQuery(
            since=day_start(data["since"]),
            until=day_start(data["until"] + datetime.timedelta(days=1)),
            situation=data.get("situation") or "",
            world_id=data.get("world") or None,
            memory_type=data.get("type") or None,
            related_player_id=data.get("player"),
            weights=RecallWeights(data["w_recency"], data["w_importance"], data["w_emotion"], data["w_relevance"]),
            decay_per_hour=self.decay_per_hour(),
            limit=data["limit"],
        )


class MemoryAdjustForm(forms.Form):
    """A game master's change to how long and how strongly an NPC remembers something."""

    importance = forms.FloatField(min_value=0.0, max_value=1.0, widget=forms.NumberInput({"step": "0.01"}))
    expires_at = forms.DateTimeField(required=False, label="Expires at (UTC)",
                                     widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                     help_text="Empty: never expires.")
    reason = forms.CharField(required=False, max_length=500, widget=forms.TextInput({"size": 60}),
                             help_text="Recorded in the audit log with the old and new values.")


class TimelineForm(forms.Form):
    """Filters of one NPC's decision timeline."""

    world = forms.ChoiceField(required=False)
    type = forms.ChoiceField(required=False, choices=[("", "any"), *DecisionType.choices])
    llm = forms.ChoiceField(required=False, label="LLM", choices=[("", "any"), ("yes", "used"), ("no", "not used")])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To (inclusive)", widget=forms.DateInput({"type": "date"}))
    cursor = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args, worlds: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["world"].choices = world_choices(worlds, self.data)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The start date must not be after the end date.")
        return data

    def to_filter(self) -> traces.TimelineFilter:
        data = self.cleaned_data
        return traces.TimelineFilter(
            world_id=data.get("world") or None,
            decision_type=data.get("type") or None,
            used_llm={"yes": True, "no": False}.get(data.get("llm") or ""),
            since=day_start(data["since"]) if data.get("since") else None,
            until=day_start(data["until"] + datetime.timedelta(days=1)) if data.get("until") else None,
        )


class AroundForm(forms.Form):
    hours = forms.IntegerField(min_value=1, max_value=traces.MAX_AROUND_HOURS, label="± hours")


OVERVIEW_DEFAULT_DAYS = 7
OVERVIEW_MAX_DAYS = 366


class OverviewForm(forms.Form):
    """Window and thresholds of the across-NPCs page."""

    world = forms.ChoiceField(required=False)
    since = forms.DateField(label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(label="To (inclusive)", widget=forms.DateInput({"type": "date"}))
    slow_ms = forms.IntegerField(label="Slow if p95 above (ms)", min_value=1, max_value=600_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["world"].choices = world_choices((), self.data)

    @staticmethod
    def defaults(as_of: datetime.datetime) -> dict:
        today = as_of.astimezone(datetime.UTC).date()
        return {"since": (today - datetime.timedelta(days=OVERVIEW_DEFAULT_DAYS - 1)).isoformat(),
                "until": today.isoformat(), "slow_ms": usage.DEFAULT_SLOW_P95_MS}

    def clean(self):
        data = super().clean()
        for message in _date_range_errors(data.get("since"), data.get("until"), OVERVIEW_MAX_DAYS):
            self.add_error("until", message)
        return data

    def to_window(self) -> usage.UsageWindow:
        data = self.cleaned_data
        return usage.UsageWindow(
            since=day_start(data["since"]),
            until=day_start(data["until"] + datetime.timedelta(days=1)),
            world_id=data.get("world") or None,
        )
