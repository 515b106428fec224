"""The demo dataset behind ``manage.py seed_demo``: ``story`` tells it, ``seeder`` builds it."""
