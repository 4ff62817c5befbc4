"""Entry points: the Flask app factory (web.app.create_app), its blueprints, and the `archive` command line.

Nothing is imported here, so `archive` commands that need no web server start without loading Flask."""
