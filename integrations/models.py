"""Integrations own no tables: webhooks become ``signals_app.Signal`` rows."""
