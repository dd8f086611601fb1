"""E-mail templates of the compliance service (Jinja2: plain text and HTML)."""
