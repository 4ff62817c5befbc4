"""Entry points: the Flask app factory, its blueprints, and the `archive` command line."""

from web.app import create_app

__all__ = ["create_app"]
