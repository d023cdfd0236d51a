"""Server-rendered pages (Jinja2) with a little hand-written JS."""
