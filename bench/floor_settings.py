"""Settings of the floor app: Loop's production settings, unchanged, but a URLconf that serves only
the claim statement (bench/floor_urls.py). Same gunicorn, same Django, same DRF, same middleware."""
from loop_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
