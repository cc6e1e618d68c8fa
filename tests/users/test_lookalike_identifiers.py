"""Look-alike emails and handles (issue 24 #1): one account per folded form.

`ſam@x.test` (long s), `ıris@x.test` (dotless i) and `Kate@x.test` (Kelvin
sign) fold like `sam@x.test`, `iris@x.test`, `kate@x.test`: signing up with one
while the other exists is the 400 a taken address is, and the owner's login (REST
and the admin's form) keeps working instead of answering 500."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from core.exceptions import InvalidInput
from tests.clients import client_for
from tests.factories import make_user
from users import services
from users.models import User

from .conftest import API, assert_error

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
# (the owner's address, a look-alike an attacker registers)
LOOKALIKES = [
    pytest.param("sam@x.test", "\u017fam@x.test", id="long-s"),
    pytest.param("iris@x.test", "\u0131ris@x.test", id="dotless-i"),
    pytest.param("kate@x.test", "\u212aate@x.test", id="kelvin-sign"),
    pytest.param("sam@x.test", "SAM@x.test", id="ascii-case"),
]


def register(client, email, **fields):
    body = {"email": email, "password1": PASSWORD, "password2": PASSWORD, **fields}
    return client.post(f"{API}/auth/registration/", body, format="json")


def login(client, email, password=PASSWORD):
    return client.post(f"{API}/auth/login/", {"email": email, "password": password}, format="json")


@pytest.mark.parametrize(("owner", "lookalike"), LOOKALIKES)
def test_a_lookalike_signup_is_refused_and_the_owner_still_logs_in(anon, owner, lookalike):
    assert register(anon, owner).status_code == 201

    refused = register(anon, lookalike)

    assert_error(refused, 400, "email_taken", attr="email")
    assert User.objects.count() == 1
    response = login(anon, owner)
    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == owner


@pytest.mark.parametrize(("owner", "lookalike"), LOOKALIKES)
def test_the_lookalike_first_then_the_plain_address_is_refused_too(anon, owner, lookalike):
    assert register(anon, lookalike).status_code in {201, 400}
    if not User.objects.exists():
        pytest.skip("the address itself is refused")

    assert_error(register(anon, owner), 400, "email_taken", attr="email")


def test_a_lookalike_login_finds_the_one_account_never_two(anon):
    register(anon, "sam@x.test")

    # The owner's password, typed with a look-alike: the same account, once.
    response = login(anon, "\u017fam@x.test")

    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == "sam@x.test"


@pytest.mark.parametrize(("owner", "lookalike"), LOOKALIKES)
def test_create_user_refuses_a_lookalike_with_the_taken_code(owner, lookalike):
    services.create_user(email=owner, password=PASSWORD)

    with pytest.raises(InvalidInput) as refused:
        services.create_user(email=lookalike, password=PASSWORD)

    assert (refused.value.code, refused.value.field) == ("email_taken", "email")


def test_the_database_refuses_two_rows_with_one_folded_email():
    make_user(email="sam@x.test")
    user = User(email="\u017fam@x.test")

    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()


def test_handles_are_unique_under_the_same_fold():
    make_user(email="one@x.test", username="sam_k")

    with pytest.raises(InvalidInput) as refused:
        services.create_user(email="two@x.test", password=PASSWORD, username="\u017fam_\u212a")

    assert (refused.value.code, refused.value.field) == ("username_taken", "username")
    assert User.objects.get(username="sam_k").username_key == "sam_k"


def test_username_availability_compares_the_folded_form(anon):
    make_user(email="one@x.test", username="sam_k")
    other = make_user(email="two@x.test", username="other")

    response = client_for(other).patch(f"{API}/users/me/", {"username": "SAM_K"}, format="json")

    assert_error(response, 400, "username_taken", attr="username")
    assert_error(register(anon, "three@x.test", username="Sam_K"), 400, "username_taken")


def test_changing_the_handle_keeps_its_key_in_step():
    user = make_user(email="one@x.test", username="first")

    services.update_profile(user=user, username="Second")

    user.refresh_from_db()
    assert (user.username, user.username_key) == ("Second", "second")


def test_get_by_natural_key_matches_the_folded_form():
    owner = make_user(email="sam@x.test")

    assert User.objects.get_by_natural_key("\u017fAM@x.test") == owner
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("nobody@x.test")


@pytest.mark.parametrize(("owner", "lookalike"), LOOKALIKES)
def test_the_admin_login_form_works_after_a_lookalike_signup(anon, owner, lookalike):
    User.objects.create_superuser(email=owner, password=PASSWORD)
    register(anon, lookalike)

    response = Client().post(
        reverse("admin:login"), {"username": owner, "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 302, response.content
    assert response.headers["Location"] == "/admin/"


def test_the_admin_add_form_refuses_a_lookalike_as_a_form_error():
    admin = User.objects.create_superuser(email="admin@x.test", password=PASSWORD)
    make_user(email="sam@x.test", username="sam_k")
    client = Client()
    client.force_login(admin)

    response = client.post(
        reverse("admin:users_user_add"),
        {
            "email": "\u017fam@x.test",
            "username": "SAM_K",
            "password1": "a-long-admin-set-passphrase",
            "password2": "a-long-admin-set-passphrase",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"email", "username"}
    assert User.objects.count() == 2


def test_a_password_reset_for_a_lookalike_reaches_the_one_owner(anon):
    make_user(email="sam@x.test")

    response = anon.post(f"{API}/auth/password/reset/", {"email": "\u017fam@x.test"}, format="json")

    assert response.status_code == 200, response.content
    assert [m.to for m in mail.outbox] == [["sam@x.test"]]


def test_a_google_signup_with_a_lookalike_address_is_refused(fake_google, anon):
    make_user(email="sam@x.test")
    token = fake_google.add_account("\u017fam@x.test", "Not Sam")

    response = anon.post(f"{API}/auth/google/", {"access_token": token}, format="json")

    assert_error(response, 400, "email_taken")
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_oldest_of_lookalikes_and_retires_the_rest():
    from datetime import timedelta

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before, after = [("users", "0006_active_day")], [("users", "0007_folded_identifier_keys")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_user = executor.loader.project_state(before).apps.get_model("users", "User")
    now = timezone.now()
    rows = [
        ("sam@x.test", "sam_i", now - timedelta(days=3)),
        ("\u017fam@x.test", "\u017fam_k", now - timedelta(days=2)),  # the email looks alike
        ("other@x.test", "SAM_\u0131", now - timedelta(days=1)),  # the handle looks alike
    ]
    for email, username, joined in rows:
        old_user.objects.create(email=email, username=username, date_joined=joined)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    owner, lookalike, other = (User.objects.get(email=email) for email, _, _ in rows)
    assert (owner.email_key, owner.username_key, owner.is_active) == ("sam@x.test", "sam_i", True)
    assert (lookalike.email_key, lookalike.is_active) == (f"retired:{lookalike.pk}", False)
    assert lookalike.username_key == "sam_k"
    assert (other.email_key, other.username, other.username_key) == ("other@x.test", None, None)
    assert User.objects.get_by_natural_key("sam@x.test") == owner
    # The retired account keeps its mark through a save.
    lookalike.save()
    lookalike.refresh_from_db()
    assert lookalike.email_key == f"retired:{lookalike.pk}"


def test_bulk_created_users_get_their_keys_too():
    User.objects.bulk_create(User(email=f"b{n}@x.test", username=f"Bulk_{n}") for n in range(2))

    assert sorted(User.objects.values_list("email_key", "username_key")) == [
        ("b0@x.test", "bulk_0"),
        ("b1@x.test", "bulk_1"),
    ]
