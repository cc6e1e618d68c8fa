import logging

from django.contrib.auth.base_user import BaseUserManager
from django.db import IntegrityError, transaction

from core.identifiers import fold

from .handles import generate_username

logger = logging.getLogger(__name__)

GENERATED_USERNAME_ATTEMPTS = 5
# The email_key of an account retired for a look-alike address (migration 0007):
# no address folds to it, so no lookup finds it.
RETIRED_KEY_PREFIX = "retired:"


def integrity_error_field(exc: IntegrityError) -> str | None:
    """Which unique user field an IntegrityError is about ("email", "username"), if any."""
    # Postgres names the constraint (its message also quotes the values, which
    # could themselves contain "email"); SQLite's message names only the column
    # or index.
    diag = getattr(exc.__cause__, "diag", None)
    message = (getattr(diag, "constraint_name", None) or str(exc)).lower()
    if "username" in message:
        return "username"
    if "email" in message:
        return "email"
    return None


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        # The whole address is folded: mailboxes that differ only by case are
        # one person in practice, and login must not depend on it.
        return (email or "").strip().lower()

    def email_key(self, email: str) -> str:
        return fold(self.normalize_email(email))

    def by_email(self, email: str):
        """The account of `email` or look-alikes of it (at most one: email_key is unique)."""
        return self.filter(email_key=self.email_key(email))

    def by_username(self, username: str):
        return self.filter(username_key=fold(username))

    def bulk_create(self, objs, *args, **kwargs):
        # save() is skipped: the folded keys are filled here (bench data generators).
        objs = list(objs)
        for user in objs:
            user.refresh_keys()
        return super().bulk_create(objs, *args, **kwargs)

    def get_by_natural_key(self, username):
        # At most one row can match the unique key; should two ever do (a broken
        # index), nobody logs in rather than a 500 or the wrong account.
        users = list(self.by_email(username or "")[:2])
        if len(users) != 1:
            if users:
                logger.error("two accounts share the email key of %r", username)
            raise self.model.DoesNotExist
        return users[0]

    def _create_user(self, email, password, **extra_fields):
        """The user and its profile, in one transaction; a handle is generated if none given.

        Every path that creates users ends here (services.create_user,
        createsuperuser, the demo data), so none can leave a user without a profile.
        """
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email)
        display_name = extra_fields.pop("display_name", "") or ""
        username = extra_fields.pop("username", None) or None
        profile_model = self.model._meta.get_field("profile").related_model
        attempts = 1 if username else GENERATED_USERNAME_ATTEMPTS
        for attempt in range(attempts):
            user = self.model(
                email=email,
                username=username or generate_username(email, self.model),
                **extra_fields,
            )
            user.set_password(password)
            try:
                with transaction.atomic(using=self._db):
                    user.save(using=self._db)
                    profile_model._default_manager.using(self._db).create(
                        user=user, display_name=display_name
                    )
            except IntegrityError as exc:
                # Another signup took the generated handle between our check
                # and insert: try another one.
                retry = not username and integrity_error_field(exc) == "username"
                if not retry or attempt == attempts - 1:
                    raise
                continue
            return user
        raise AssertionError("unreachable")

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)
