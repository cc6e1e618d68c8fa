"""Serializer fields that take a JSON value only as the type the schema declares.

DRF's CharField turns a number into its text (`"bio": 5` is stored as "5") and its
BooleanField takes 1, 0, "yes", "on"...: a client that sends the wrong type gets no
error and another value than it meant. These refuse anything but a JSON string
(or boolean) with DRF's own `invalid` code, which the schema already lists.
"""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, booleans, lists and objects (400 `invalid`)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that takes only JSON `true` / `false` (400 `invalid`)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that takes only a JSON integer: not `"2"`, `2.0` or `true`
    (400 `invalid`)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
