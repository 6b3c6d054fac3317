"""English date formats of the console: every date-and-time shown names its zone (`T`, e.g. "UTC").

Django's own English formats, with the time zone appended, so a game master comparing a console
time with an engine log knows which clock it is on (docs/console.md, "Times").
"""

DATETIME_FORMAT = "N j, Y, P T"
SHORT_DATETIME_FORMAT = "m/d/Y P T"
TIME_FORMAT = "P T"
