"""`{% fast_result_list cl %}`: the admin's `{% result_list %}` with the per-cell work done once per page.

Rendering 50 rows was ~70 % of a big changelist's time (issue 16), almost all of it in
`items_for_result`: per cell it looks the field up again, asks the admin for its empty value,
builds the boolean icon's static URL, reverses the change URL and merges the preserved filters,
and renders the action checkbox through the widget template. Here each column gets a renderer
once per page (field, classes, choices, icons, empty value), the change URL and the checkbox are
rendered once with a placeholder and filled in per row, and each row is one string, so the
template loops over 50 rows instead of 500 cells. The markup is Django's own, cell for cell (a
test compares them). Columns it does not know (callables, relations across `__`, list_editable)
send the whole page back to Django's `items_for_result`.
"""

from __future__ import annotations

import re

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import display_for_field, quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils import numberformat, timezone
from django.utils.formats import date_format, get_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

_PK = "npcadmin0pk0placeholder"
_LABEL = "npcadmin0label0placeholder"


class _Placeholder:
    """Stands in for a row: its primary key (whatever the attribute's name) and its label."""

    def __getattr__(self, name: str) -> str:
        return _PK

    def __str__(self) -> str:
        return _LABEL


def _link_in_col(is_first: bool, field_name: str, cl) -> bool:
    if cl.list_display_links is None:
        return False
    if is_first and not cl.list_display_links:
        return True
    return field_name in cl.list_display_links


def _column(cl, index: int, name: str, empty: str):
    """(css class attribute, value→html) for one column, or None when Django must render it."""
    if name == "action_checkbox":
        checkbox = str(cl.model_admin.action_checkbox(_Placeholder()))

        def render_checkbox(obj):
            return checkbox.replace(_PK, conditional_escape(str(obj.pk))).replace(
                _LABEL, conditional_escape(str(obj)))

        return ' class="action-checkbox"', render_checkbox
    if not isinstance(name, str) or "__" in name:
        return None
    try:
        field = cl.lookup_opts.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.auto_created and not field.concrete or field.many_to_many or field.one_to_many:
        return None
    classes = [f"field-{_coerce_field_name(name, index)}"]
    if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
        classes.append("nowrap")
    css = f' class="{" ".join(classes)}"'
    if isinstance(field, models.ForeignKey):
        def render_relation(obj):
            related = getattr(obj, name)
            return empty if related is None else conditional_escape(str(related))

        return css, render_relation
    attname = field.attname
    if getattr(field, "flatchoices", None):
        choices = {value: conditional_escape(label) for value, label in field.flatchoices}
        return css, lambda obj: choices.get(getattr(obj, attname), empty)
    if isinstance(field, models.BooleanField):
        icons = {value: display_for_field(value, field, empty) for value in (True, False, None)}
        return css, lambda obj: icons[getattr(obj, attname)]
    if isinstance(field, models.DateTimeField):
        return css, _datetime_renderer(field, attname, empty)
    if isinstance(field, models.IntegerField | models.FloatField) and not isinstance(field, models.DecimalField):
        return css, _number_renderer(attname, empty)
    return css, lambda obj: conditional_escape(display_for_field(getattr(obj, attname), field, empty))


# Format characters whose output changes within one minute (seconds and finer, or the epoch).
_SUB_MINUTE = frozenset("suvUcr")


def _datetime_renderer(field, attname, empty):
    """Django's `DATETIME_FORMAT` of the local time, computed once per minute shown.

    A page of an engine log holds 50 rows from a few minutes (the engine writes several a
    second), and formatting a datetime through `date_format` was a third of the rows' cost.
    When the format shows nothing finer than minutes (the default "N j, Y, P"), rows of the
    same local minute and UTC offset share one string, exactly what Django would print.
    """
    fmt = get_format("DATETIME_FORMAT")
    per_minute = not (_SUB_MINUTE & set(re.sub(r"\\.", "", fmt)))  # a backslash escapes a character
    seen: dict = {}

    def render(obj):
        value = getattr(obj, attname)
        if value is None:
            return empty
        local = timezone.template_localtime(value)
        if not per_minute:
            return conditional_escape(date_format(local, "DATETIME_FORMAT"))
        key = (local.replace(second=0, microsecond=0), local.utcoffset())
        html = seen.get(key)
        if html is None:
            html = seen[key] = conditional_escape(date_format(local, "DATETIME_FORMAT"))
        return html

    return render


def _number_renderer(attname, empty):
    """`formats.number_format` with the locale's separators looked up once per page, not per cell."""
    lang = get_language()
    decimal_sep = get_format("DECIMAL_SEPARATOR", lang)
    grouping = get_format("NUMBER_GROUPING", lang)
    thousand_sep = get_format("THOUSAND_SEPARATOR", lang)

    def render(obj):
        value = getattr(obj, attname)
        if value is None:
            return empty
        return conditional_escape(numberformat.format(value, decimal_sep, None, grouping, thousand_sep,
                                                      use_l10n=True))

    return render


def fast_results(cl):
    """One SafeString per row, or None when a column needs Django's own per-cell path."""
    if cl.formset:
        return None
    empty = conditional_escape(cl.model_admin.get_empty_value_display())
    columns = []
    first = True
    try:
        url_template = cl.url_for_result(_Placeholder())
    except NoReverseMatch:
        url_template = None
    if url_template is not None:
        url_template = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts},
                                             url_template)
    for index, name in enumerate(cl.list_display):
        column = _column(cl, index, name, empty)
        if column is None:
            return None
        css, render = column
        link = _link_in_col(first, name, cl)
        tag = "td"
        if link:
            if first:
                tag = "th"
            first = False
            if cl.is_popup or url_template is None:
                return None
        columns.append((f"<{tag}{css}>", f"</{tag}>", render, link))
    rows = []
    for obj in cl.result_list:
        cells = []
        for opening, closing, render, link in columns:
            html = render(obj)
            if link:
                href = conditional_escape(url_template.replace(_PK, str(quote(obj.pk))))
                html = f'<a href="{href}">{html}</a>'
            cells.append(f"{opening}{html}{closing}")
        rows.append(ResultList(None, [SafeString("".join(cells))]))
    return rows


def fast_result_list(cl):
    headers = list(result_headers(cl))
    rows = fast_results(cl)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows if rows is not None else list(results(cl)),
    }


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    return InclusionAdminNode("fast_result_list", parser, token, func=fast_result_list,
                              template_name="change_list_results.html", takes_context=False)
