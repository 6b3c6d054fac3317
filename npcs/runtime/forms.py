"""Forms of the runtime page's actions (each one names exactly what it acts on)."""

from __future__ import annotations

from django import forms

from npcs.runtime import keys

PRIORITY_CHOICES = [(p, str(p)) for p in keys.PRIORITIES]


class QueuedDecisionForm(forms.Form):
    """One queued decision, identified by its exact member in its queue."""

    member = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=1_000_000)
    # Any queue the page shows, including one an engine made outside 1..10.
    priority = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class RequeueForm(QueuedDecisionForm):
    to_priority = forms.TypedChoiceField(choices=PRIORITY_CHOICES, coerce=int, label="Move to priority")


class PurgeForm(forms.Form):
    """Confirmation of a purge: only decisions queued up to what the operator saw go."""

    queued_up_to = forms.FloatField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=True, label="Yes, drop these decisions")


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(required=True, label="Yes, I am sure")
