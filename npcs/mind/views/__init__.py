"""The mind pages: memory recall (`recall`) and decision traces (`traces`)."""
