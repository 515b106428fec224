import hashlib

import pytest
from django.test import override_settings
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.models import ApiKey
from accounts.services import create_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


def test_key_is_stored_only_as_a_hash():
    issued = create_api_key(name="bot")
    assert issued.plaintext.startswith(f"loop_{issued.api_key.prefix}_")
    stored = ApiKey.objects.get()
    assert stored.hashed_key == hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert issued.plaintext not in str(ApiKey.objects.values().get())


class _Protected(APIView):
    def get(self, request):
        return Response({"agent": request.user.name})

    def post(self, request):
        return Response({"agent": request.user.name})


def _call(method: str, header: str | None):
    factory = APIRequestFactory()
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    request = getattr(factory, method)("/api/x", **kwargs)
    return _Protected.as_view()(request)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer wrong", "Basic abc", "Bearer loop_deadbeef_nope", "Bearer loop__x", "Bearer a\x00b"],
)
def test_missing_or_invalid_keys_get_the_same_401(header):
    create_api_key(name="bot")
    response = _call("get", header)
    response.render()
    assert response.status_code == 401
    assert response.data == {"error": "Unauthorized", "details": {"fieldErrors": {}}}


def test_revoked_key_gets_the_same_401():
    issued = create_api_key(name="bot")
    revoke_api_key(api_key=issued.api_key)
    response = _call("get", f"Bearer {issued.plaintext}")
    assert response.status_code == 401
    assert response.data["error"] == "Unauthorized"


def test_valid_key_authenticates_and_scopes_are_enforced():
    reader = create_api_key(name="reader", scopes=["read"])
    assert _call("get", f"Bearer {reader.plaintext}").data == {"agent": "reader"}
    assert _call("post", f"Bearer {reader.plaintext}").status_code == 403


def test_revoked_key_is_refused(db):
    from accounts.authentication import authenticate_key

    issued = create_api_key(name="bot")
    assert authenticate_key(issued.plaintext).name == "bot"
    revoke_api_key(api_key=issued.api_key)
    assert authenticate_key(issued.plaintext) is None


def test_last_used_is_recorded_at_most_once_a_minute():
    from accounts.authentication import authenticate_key

    issued = create_api_key(name="bot")
    authenticate_key(issued.plaintext)
    first = ApiKey.objects.get().last_used_at
    assert first is not None
    authenticate_key(issued.plaintext)
    assert ApiKey.objects.get().last_used_at == first


@override_settings(LOOP_API_KEY="upstream-style-secret")
def test_env_key_is_accepted():
    from accounts.authentication import authenticate_key

    agent = authenticate_key("upstream-style-secret")
    assert agent is not None and agent.has_scope("dispatch")
    assert authenticate_key("upstream-style-secreT") is None


def test_unknown_scope_is_refused():
    from loop_project.errors import RuleViolation

    with pytest.raises(RuleViolation):
        create_api_key(name="bot", scopes=["root"])


@pytest.mark.django_db(transaction=True)
def test_a_known_key_is_not_looked_up_again_within_the_cache_time(django_assert_num_queries):
    from accounts.authentication import authenticate_key

    issued = create_api_key(name="bot")
    assert authenticate_key(issued.plaintext).name == "bot"  # looked up, last use stamped
    with django_assert_num_queries(0):
        assert authenticate_key(issued.plaintext).name == "bot"


@pytest.mark.django_db(transaction=True)
def test_revoking_in_this_process_applies_at_once_despite_the_cache():
    from accounts.authentication import authenticate_key

    issued = create_api_key(name="bot", scopes=["read"])
    assert authenticate_key(issued.plaintext) is not None
    revoke_api_key(api_key=ApiKey.objects.get())
    assert authenticate_key(issued.plaintext) is None


@pytest.mark.django_db(transaction=True)
def test_a_change_made_elsewhere_shows_after_the_cache_time(settings):
    from accounts.authentication import authenticate_key

    issued = create_api_key(name="bot", scopes=["read"])
    assert authenticate_key(issued.plaintext).scopes == {"read"}
    ApiKey.objects.update(scopes=["read", "write"])  # another server's write: no signal here
    assert authenticate_key(issued.plaintext).scopes == {"read"}
    settings.LOOP_API_KEY_CACHE_SECONDS = 0  # the kept copy is now too old
    assert authenticate_key(issued.plaintext).scopes == {"read", "write"}


def test_nothing_is_cached_inside_a_transaction(django_assert_num_queries):
    from accounts.authentication import authenticate_key

    issued = create_api_key(name="bot")
    authenticate_key(issued.plaintext)
    with django_assert_num_queries(1):
        authenticate_key(issued.plaintext)


@pytest.mark.django_db(transaction=True)
def test_a_lookup_that_raced_a_change_is_not_kept():
    from accounts.authentication import known_keys

    issued = create_api_key(name="bot")
    generation = known_keys.generation  # a request starts its lookup ...
    revoke_api_key(api_key=ApiKey.objects.get())  # ... a revocation lands meanwhile ...
    known_keys.keep("some-hash", issued.api_key, generation=generation)  # ... it must not stick
    assert known_keys.get("some-hash") is None
