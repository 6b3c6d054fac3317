"""Helpers of the two-writers tests: post a console form back as a browser would, and read rows as text."""

from __future__ import annotations

from html.parser import HTMLParser

from django.db import connections


class _FormFields(HTMLParser):
    """The name/value pairs a browser submits for each form with `method="post"` of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self.pairs: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: tuple[str, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._in_form, self.pairs = True, []
            self.forms.append(self.pairs)
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value") or "on"))
                return
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = a.get("name"), None, False
        elif tag == "option" and self._select:
            self._option, self._option_text = (a.get("value"), "selected" in a), ""
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form = False
        elif tag == "option" and self._option is not None:
            value, selected = self._option
            value = self._option_text.strip() if value is None else value
            if self._select_first is None:
                self._select_first = value
            if selected and not self._select_chosen:
                self.pairs.append((self._select, value))
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.pairs.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parser drops the newline that follows <textarea>, as browsers do.
            self.pairs.append((self._textarea, self._text.replace("\n", "\r\n")))
            self._textarea = None


def browser_post_data(html: str) -> dict[str, str | list[str]]:
    """What a browser would submit for the page's edit form (its largest POST form), untouched."""
    parser = _FormFields()
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in max(parser.forms, key=len, default=[]):
        data.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}


def row_text(table: str, pk_column: str, pk, *, using: str = "default") -> dict[str, str | None]:
    """Every column of a row as PostgreSQL prints it (`column::text`): what "byte-identical" compares."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                       "AND table_schema = current_schema() ORDER BY ordinal_position", [table])
        columns = [name for (name,) in cursor.fetchall()]
        select = ", ".join(f'"{c}"::text' for c in columns)
        cursor.execute(f'SELECT {select} FROM "{table}" WHERE "{pk_column}" = %s', [pk])
        return dict(zip(columns, cursor.fetchone(), strict=True))
