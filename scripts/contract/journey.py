"""A user's whole journey through a client generated from /api/openapi.json by
openapi-python-client (scripts/contract/client.sh): register, sign in, write an entry, list
entries, take the PHQ-9, read the results and export everything. Every response is parsed into
the generated models, so a response that differs from its schema fails here.
Usage: PYTHONPATH=<dir holding the generated `client` package> python journey.py BASE_URL
"""

import sys
import uuid

from client import AuthenticatedClient, Client
from client.api.auth import login, me, register
from client.api.journal import create_entry, get_entry, list_entries
from client.api.tests import get_test, list_tests, submit_test, test_results
from client.api.users import export, get_profile
from client.models import (
    Answer,
    Created,
    EntryPage,
    Export,
    LoginRequest,
    MeResponse,
    NewEntry,
    OneEntry,
    ProfileResponse,
    RegisterRequest,
    SessionResponse,
    SubmitRequest,
    SubmitResponse,
    TestDetail,
    TestList,
    TestResults,
)


def parsed(response, model):
    """The body of a 2xx response as `model`, or a failure naming the status and body."""
    if not 200 <= response.status_code < 300 or not isinstance(response.parsed, model):
        sys.exit(f"journey: {model.__name__} expected, got {response.status_code}: {response.content!r}")
    return response.parsed


def main(base_url: str) -> None:
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    email = f"journey-{uuid.uuid4().hex[:12]}@example.com"
    password = "journey-password"
    body = RegisterRequest(email=email, password=password, first_name="Journey", last_name="User")
    parsed(register.sync_detailed(client=anonymous, body=body), SessionResponse)
    session = parsed(
        login.sync_detailed(client=anonymous, body=LoginRequest(email=email, password=password)),
        SessionResponse,
    )
    user = AuthenticatedClient(base_url=base_url, token=session.token, raise_on_unexpected_status=True)
    assert parsed(me.sync_detailed(client=user), MeResponse).user.email == email

    created = parsed(
        create_entry.sync_detailed(
            client=user, body=NewEntry(text="A long walk cleared my head", tags=["walk"], self_mood=4)
        ),
        Created,
    )
    page = parsed(list_entries.sync_detailed(client=user, per_page=10), EntryPage)
    assert [e.id for e in page.entries] == [created.entry_id], page
    one = parsed(get_entry.sync_detailed(created.entry_id, client=user), OneEntry)
    assert one.entry.tags == ["walk"], one

    tests = parsed(list_tests.sync_detailed(client=anonymous), TestList)
    phq9 = next(t for t in tests.tests if t.id == 1)  # the contract fixes PHQ-9 at id 1
    detail = parsed(get_test.sync_detailed(phq9.id, client=anonymous), TestDetail)
    lowest = min(o.value for o in detail.test.response_options)
    answers = [Answer(question_number=q.question_number, value=lowest) for q in detail.test.questions]
    result = parsed(
        submit_test.sync_detailed(phq9.id, client=user, body=SubmitRequest(answers=answers)),
        SubmitResponse,
    )
    assert result.result.total_score == lowest * len(answers), result
    user_id = session.user.id
    history = parsed(test_results.sync_detailed(user_id, client=user), TestResults)
    assert history.total == 1, history
    parsed(get_profile.sync_detailed(user_id, client=user), ProfileResponse)

    everything = parsed(export.sync_detailed(client=user), Export)
    assert len(everything.journal_entries) == 1 and len(everything.test_results) == 1, everything
    print("journey: register, login, entry, list, PHQ-9, results, profile and export all parsed")


if __name__ == "__main__":
    main(sys.argv[1])
