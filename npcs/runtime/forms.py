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


class KeySearchForm(forms.Form):
    """The key browser's search: a SCAN pattern, the cursor to continue from, and COUNT (bounded)."""

    pattern = forms.CharField(max_length=512, required=False, strip=False, initial="*",
                              help_text="Redis glob: * any characters, ? one, [abc] a set; matched by SCAN, never KEYS")
    cursor = forms.IntegerField(min_value=0, max_value=2**64 - 1, required=False, initial=0,
                                widget=forms.HiddenInput)
    count = forms.IntegerField(min_value=10, max_value=1000, required=False, initial=100, label="Keys per page",
                               help_text="SCAN's COUNT: 10 to 1,000")

    def clean_pattern(self):
        return self.cleaned_data["pattern"] or "*"

    def clean_cursor(self):
        return self.cleaned_data["cursor"] or 0

    def clean_count(self):
        return self.cleaned_data["count"] or 100


class KeyForm(forms.Form):
    """One key, named exactly (any bytes a Redis key name may hold as text)."""

    key = forms.CharField(max_length=4096, strip=False)


class KeyDeleteForm(KeyForm):
    confirm = forms.BooleanField(required=True, label="Yes, delete this key")
