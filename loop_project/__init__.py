"""Loop: the Django project (settings, URL map, the API's shared conventions)."""

__version__ = "0.1.0"
