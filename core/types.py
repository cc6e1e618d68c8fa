"""Types the service signatures share."""

from collections.abc import Iterable
from typing import TypeAlias
from uuid import UUID

# A primary key as the model holds it, or as a string (a URL, a task's JSON).
Id: TypeAlias = UUID | str


def parse_uuid(value: object) -> UUID | None:
    """`value` as a UUID (a UUID as it is; text in any form `uuid.UUID` reads:
    hyphens or not, braces, `urn:uuid:`), or None when it is not one: the one
    reading of an id that came from outside (a URL, a message, a file name)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def parse_uuids(values: Iterable[object]) -> list[UUID]:
    """The values that are UUIDs (`parse_uuid`), in order; the others left out."""
    return [pk for pk in map(parse_uuid, values) if pk is not None]
