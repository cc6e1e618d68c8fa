"""schemathesis against the OpenAPI schema: generated requests from an
authenticated user, every default check, a fixed seed and bounded examples.

Run with `make fuzz` (FUZZ=1; more examples: FUZZ_EXAMPLES=50 make fuzz), which
CI runs; skipped otherwise (it takes minutes). Payments are configured against
the fake Stripe, as in production: without them checkout and the webhook answer
a documented 503, which the server-error check counts as a failure.
`positive_data_acceptance` is left out: a schema-valid login with a made-up
password is rightly a 400. The operations and cases run are printed at the end
(tests/core/conftest.py).
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.commerce.conftest import fake_stripe  # noqa: F401  (fixture)
from tests.factories import UserFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# Cases run per operation ("GET /api/v1/..."), printed by tests/core/conftest.py.
CASES: Counter = Counter()

pytestmark = pytest.mark.skipif(not os.environ.get("FUZZ"), reason="schemathesis run: make fuzz")

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def bearer(db, settings, fake_stripe):  # noqa: F811
    # Throttles raised for the run: a 429 is not what is being tested.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/min"),
    }
    user = UserFactory()
    # As Django's test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@seed(20261203)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, bearer):
    CASES[case.operation.label] += 1
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
