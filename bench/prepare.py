"""Fixtures of the bench template database, made through Loop's own services: the project with an
active goal, one API key per agent and one for the senders. Prints them as JSON.

Run as ``DATABASE_URL=... python -m bench.prepare --agents 16`` (bench/run.py does).
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=16)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loop_project.settings")
    import django

    django.setup()
    from accounts.services import create_api_key
    from issues.services import create_goal, create_project

    project = create_project(name="Bench project", status="active")
    create_goal(title="Bench goal", status="active", project_id=project.pk)
    agent_keys = [
        create_api_key(name=f"bench-agent-{n:02d}", scopes=["read", "write", "dispatch"]).plaintext
        for n in range(1, args.agents + 1)
    ]
    sender_key = create_api_key(name="bench-sender", scopes=["read", "write"]).plaintext
    json.dump(
        {"project_id": project.pk, "agent_keys": agent_keys, "sender_key": sender_key}, sys.stdout
    )


if __name__ == "__main__":
    main()
