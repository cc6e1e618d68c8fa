"""What every report of content shares, whatever the domain (forum posts and
comments, chat messages): the reasons a member can give and how their words are
cleaned."""

from django.db import models
from rest_framework import serializers

from core import error_codes
from core.exceptions import invalid
from core.text import to_plain_text

DETAILS_MAX_LENGTH = 1000


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam"
    ABUSE = "abuse", "Abuse or harassment"
    NUDITY = "nudity", "Nudity or sexual content"
    OTHER = "other", "Other"


def clean_report_details(*, reason: str, details: str) -> str:
    """The reporter's words as plain text: at most DETAILS_MAX_LENGTH characters,
    required when the reason is `other`."""
    text = to_plain_text(details or "")
    if len(text) > DETAILS_MAX_LENGTH:
        raise invalid(
            "details",
            f"Ensure this field has at most {DETAILS_MAX_LENGTH} characters.",
            error_codes.MAX_LENGTH,
        )
    if reason == ReportReason.OTHER and not text:
        raise invalid(
            "details", "Say what is wrong when the reason is 'other'.", error_codes.REQUIRED
        )
    return text


class ReportCreateSerializer(serializers.Serializer):
    """A report's request body, wherever content is reported."""

    reason = serializers.ChoiceField(choices=ReportReason.choices)
    details = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=DETAILS_MAX_LENGTH,
        trim_whitespace=True,
        help_text="What is wrong, in the reporter's words; required when `reason` is `other`.",
    )
