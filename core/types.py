"""Types the service signatures share."""

from typing import TypeAlias
from uuid import UUID

# A primary key as the model holds it, or as a string (a URL, a task's JSON).
Id: TypeAlias = UUID | str
