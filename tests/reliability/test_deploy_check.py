"""Security settings: `manage.py check --deploy` is clean with the environment a production
deployment sets, HTTPS behaviour follows that environment (also behind a proxy), the defaults stay
usable over plain HTTP on localhost, and the console is for staff only."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

BASE_DIR = Path(django_settings.BASE_DIR)
SETTINGS_FILE = BASE_DIR / "loop_project" / "settings.py"
# What docs/reliability.md tells a production deployment to set.
PRODUCTION_ENV = {
    "SECRET_KEY": "x9!Qv2#pL7$wR4^tY8&uI1*oP3(aS6)dF0_gH5+jK9-lZ2=xC7",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "loop.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://loop.example.com",
    "LOOP_HTTPS": "true",
}
SECURITY_SETTINGS = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "MIDDLEWARE",
]
# Settings read from the environment that a test must not inherit from the machine running it.
_ENV_PREFIXES = ("LOOP_", "SECURE_", "SESSION_", "CSRF_", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY")


def settings_from_env(monkeypatch, env: dict[str, str]) -> dict:
    """Run settings.py afresh under exactly ``env`` and return the settings it computes."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(SETTINGS_FILE))
    return {name: value for name, value in namespace.items() if name.isupper()}


def deploy_check_output(**overrides) -> str:
    out = StringIO()
    with override_settings(**overrides):
        call_command("check", "--deploy", stdout=out, stderr=out)
    return out.getvalue()


def test_production_env_passes_check_deploy_with_no_warning(monkeypatch):
    production = settings_from_env(monkeypatch, PRODUCTION_ENV)
    output = deploy_check_output(**{name: production[name] for name in SECURITY_SETTINGS})
    if connection.vendor == "postgresql":
        assert output.strip() == "System check identified no issues (0 silenced).", output
    else:
        # The one remaining warning is dispatch's: run on PostgreSQL (as production does).
        assert "security." not in output and "urls." not in output, output
        assert "drf_spectacular" not in output, output
        assert "dispatch.W001" in output and "1 issue" in output, output


def test_check_deploy_command_with_production_environment_exits_clean():
    env = {key: value for key, value in os.environ.items() if not key.startswith(_ENV_PREFIXES)}
    env.update(PRODUCTION_ENV)
    # Production runs PostgreSQL; the deploy checks read its features without connecting.
    env["DATABASE_URL"] = "postgres://loop@127.0.0.1:1/loop"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_development_defaults_are_what_check_deploy_warns_about(monkeypatch):
    dev = settings_from_env(monkeypatch, {"SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"]})
    output = deploy_check_output(**{name: dev[name] for name in SECURITY_SETTINGS})
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output  # HSTS, SSL redirect, session and CSRF cookies: off by default


def test_loop_https_turns_every_https_setting_on(monkeypatch):
    production = settings_from_env(monkeypatch, PRODUCTION_ENV)
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SESSION_COOKIE_SECURE"] is True and production["CSRF_COOKIE_SECURE"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_HSTS_PRELOAD"] is True
    assert production["DEBUG"] is False
    assert production["SECURE_PROXY_SSL_HEADER"] is None  # only trusted when told


def test_each_https_setting_can_still_be_set_alone(monkeypatch):
    custom = settings_from_env(
        monkeypatch,
        {
            **PRODUCTION_ENV,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "600",
            "SECURE_HSTS_PRELOAD": "false",
            "LOOP_BEHIND_PROXY": "true",
        },
    )
    assert custom["SECURE_SSL_REDIRECT"] is False
    assert custom["SECURE_HSTS_SECONDS"] == 600 and custom["SECURE_HSTS_PRELOAD"] is False
    assert custom["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert custom["REST_FRAMEWORK"]["NUM_PROXIES"] == 1


def test_the_default_is_debug_off():
    assert not django_settings.DEBUG


# --- behaviour under the production settings ---------------------------------------------------

HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}
BEHIND_PROXY = {**HTTPS, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}


@override_settings(**HTTPS)
def test_plain_http_is_redirected_to_https(api_client):
    response = api_client.get("/api/issues")
    assert response.status_code == 301 and response["Location"].startswith("https://")


@override_settings(**HTTPS)
def test_https_answers_carry_hsts(api_client):
    response = api_client.get("/api/issues", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@override_settings(**HTTPS)
def test_health_is_exempt_from_the_redirect_for_load_balancers():
    assert Client().get("/health").status_code == 200


@override_settings(**BEHIND_PROXY)
def test_behind_a_proxy_forwarded_https_is_not_redirected(api_client):
    assert api_client.get("/api/issues", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert api_client.get("/api/issues", HTTP_X_FORWARDED_PROTO="http").status_code == 301


@override_settings(**HTTPS)
def test_session_and_csrf_cookies_are_secure_and_http_only():
    get_user_model().objects.create_user("staff", password="pw-staff-1", is_staff=True)
    client = Client()
    login_page = client.get("/admin/login/", secure=True)
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staff", "password": "pw-staff-1", "csrfmiddlewaretoken": csrf.value},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_console_is_staff_only(api_client):
    users = get_user_model().objects
    users.create_user("visitor", password="pw-visitor-1", is_staff=False)
    users.create_user("operator", password="pw-operator-1", is_staff=True)
    anonymous = Client().get("/admin/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    visitor = Client()
    assert visitor.login(username="visitor", password="pw-visitor-1")
    response = visitor.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert visitor.get("/admin/accounts/apikey/").status_code == 302

    operator = Client()
    assert operator.login(username="operator", password="pw-operator-1")
    assert operator.get("/admin/").status_code == 200


def test_an_api_key_does_not_open_the_console(api_client):
    # Even an admin-scope key is for the API only; the console needs a staff login.
    response = Client().get(
        "/admin/", headers={"Authorization": f"Bearer {api_client.api_key_plaintext}"}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
