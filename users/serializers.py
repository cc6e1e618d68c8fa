from dj_rest_auth.registration.serializers import RegisterSerializer as _RegisterSerializer
from dj_rest_auth.serializers import PasswordResetSerializer as _PasswordResetSerializer
from rest_framework import serializers

from .models import User


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "username"]
        read_only_fields = ["id", "email"]


class RegisterSerializer(_RegisterSerializer):
    pass


class PasswordResetSerializer(_PasswordResetSerializer):
    pass
