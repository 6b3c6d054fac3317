"""What every dashboard is filtered by (time range, world, NPC), read from the URL query string.

Filters live in the URL so a dashboard view can be shared by copying the address; they are
also the cache key of the data behind the charts (`DashboardFilters.cache_key`).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.utils import timezone

QUICK_RANGES = {
    "1h": ("Last hour", datetime.timedelta(hours=1)),
    "24h": ("Last day", datetime.timedelta(days=1)),
    "7d": ("Last week", datetime.timedelta(days=7)),
    "30d": ("Last month", datetime.timedelta(days=30)),
}
DEFAULT_RANGE = "7d"
MAX_SPAN = datetime.timedelta(days=400)
# Grafana's time syntax in `from` / `to`: `now`, `now-6h` (s, m, h, d, w), an ISO 8601 time, or
# epoch milliseconds (what a zoomed Plotly axis gives). The range stays relative in the URL.
_RELATIVE = re.compile(r"^now(?:-(\d+)([smhdw]))?$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
REFRESH_CHOICES = {"": "off", "10s": "10 s", "1m": "1 min", "5m": "5 min"}


def parse_time(text: str, now: datetime.datetime) -> datetime.datetime:
    """A `from` / `to` value as an aware datetime; ValueError when it is none of the accepted forms."""
    text = (text or "").strip()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = match.groups()
        return now - datetime.timedelta(**{_UNITS[unit]: int(amount)}) if amount else now
    if text.isdigit():
        return datetime.datetime.fromtimestamp(int(text) / 1000, datetime.UTC)
    value = datetime.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)  # Plotly's axis times are UTC


@dataclass(frozen=True)
class TimeRange:
    start: datetime.datetime
    end: datetime.datetime

    @property
    def span(self) -> datetime.timedelta:
        return self.end - self.start

    @property
    def bucket(self) -> datetime.timedelta:
        """Chart resolution: 5 minutes from raw samples up to 6 h, hours up to 35 days, then days."""
        if self.span <= datetime.timedelta(hours=6):
            return datetime.timedelta(minutes=5)
        if self.span <= datetime.timedelta(days=35):
            return datetime.timedelta(hours=1)
        return datetime.timedelta(days=1)

    @property
    def event_bucket(self) -> datetime.timedelta:
        """Resolution of event counts (decisions, battles, trades): at least an hour."""
        return max(self.bucket, datetime.timedelta(hours=1))

    @property
    def bucket_label(self) -> str:
        minutes = int(self.bucket.total_seconds() // 60)
        return {5: "5 minutes", 60: "1 hour", 1440: "1 day"}.get(minutes, f"{minutes} minutes")

    @property
    def reads_raw(self) -> bool:
        return self.bucket < datetime.timedelta(hours=1)

    def is_recent(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return now - self.end < datetime.timedelta(minutes=5)

    def cache_ttl(self, now: datetime.datetime | None = None) -> int:
        """Seconds a result may be reused: short for ranges ending now, long for closed past ranges."""
        if not self.is_recent(now):
            return 3600
        if self.span <= datetime.timedelta(hours=1):
            return 30
        if self.span <= datetime.timedelta(days=1):
            return 60
        if self.span <= datetime.timedelta(days=7):
            return 300
        return 900


@dataclass(frozen=True)
class DashboardFilters:
    range_key: str
    time_range: TimeRange
    world_id: str | None = None
    npc_id: int | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    def get(self, name: str, default=None):
        return dict(self.extra).get(name, default)

    def cache_key(self, dashboard: str) -> str:
        """Readable prefix plus a digest of every filter (range bounds rounded to the bucket)."""
        bucket = int(self.time_range.bucket.total_seconds())
        start = int(self.time_range.start.timestamp()) // bucket * bucket
        end = int(self.time_range.end.timestamp()) // bucket * bucket
        parts = [dashboard, self.range_key, str(start), str(end), self.world_id or "*", str(self.npc_id or "*")]
        parts += [f"{k}={v}" for k, v in sorted(self.extra)]
        digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
        return f"analytics:{dashboard}:{self.world_id or 'all'}:{self.npc_id or 'all'}:{self.range_key}:{digest}"


class DashboardFilterForm(forms.Form):
    """The filter bar; every field is a GET parameter."""

    range = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in QUICK_RANGES.items()] + [("custom", "Custom")],
        required=False,
    )
    start = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    world = forms.ChoiceField(required=False)
    npc = forms.IntegerField(required=False, min_value=1, label="NPC id")

    def __init__(self, *args, extra_fields: dict[str, forms.Field] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["world"].choices = [("", "All worlds")] + [(w, w) for w in settings.NPCADMIN_WORLDS]
        self.extra_names = tuple(extra_fields or ())
        for name, extra in (extra_fields or {}).items():
            self.fields[name] = extra

    def clean(self):
        data = super().clean()
        key = data.get("range") or DEFAULT_RANGE
        since, until = (self.data.get("from") or "").strip(), (self.data.get("to") or "").strip() or "now"
        if since:
            now = timezone.now()
            try:
                start, end = parse_time(since, now), parse_time(until, now)
            except (ValueError, OverflowError) as exc:
                raise forms.ValidationError(
                    "from/to take now, now-6h (s, m, h, d, w), an ISO time or epoch milliseconds.") from exc
            if end <= start:
                raise forms.ValidationError("The end of the range must be after its start.")
            if end - start > MAX_SPAN:
                raise forms.ValidationError(f"A range can span at most {MAX_SPAN.days} days.")
            data["time_from"], data["time_to"] = since, until
            # Relative ranges keep their name (cache key, "recent"); zoomed ones are custom.
            data["range"] = since if until == "now" and _RELATIVE.match(since) else "custom"
            return data
        if key == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError("A custom range needs a start and an end.")
            if end <= start:
                raise forms.ValidationError("The end of the range must be after its start.")
            if end - start > MAX_SPAN:
                raise forms.ValidationError(f"A range can span at most {MAX_SPAN.days} days.")
        data["range"] = key
        return data

    def filters(self, now: datetime.datetime | None = None) -> DashboardFilters:
        """The validated filters (call after is_valid())."""
        data = self.cleaned_data
        now = now or timezone.now()
        if data.get("time_from"):
            time_range = TimeRange(parse_time(data["time_from"], now), parse_time(data["time_to"], now))
        elif data["range"] == "custom":
            time_range = TimeRange(data["start"], data["end"])
        else:
            time_range = TimeRange(now - QUICK_RANGES[data["range"]][1], now)
        extra = tuple((name, str(data[name])) for name in self.extra_names if data.get(name) not in (None, ""))
        return DashboardFilters(
            range_key=data["range"], time_range=time_range,
            world_id=data.get("world") or None, npc_id=data.get("npc"), extra=extra,
        )
