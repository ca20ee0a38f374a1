"""Serializer fields that take JSON values only of the type the schema documents: DRF would turn 42 into "42" or
"true" into True, so a client's mistake would pass unnoticed (and the schema would not say what is accepted)."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers


class _Strict:
    """Refuse a value of another JSON type than `json_types` before the field's own conversion."""

    json_types: tuple[type, ...] = (str,)
    json_name = "a string"

    def to_internal_value(self, data):
        if not isinstance(data, self.json_types) or (bool not in self.json_types and isinstance(data, bool)):
            raise serializers.ValidationError(f"Expected {self.json_name}.", code="invalid_type")
        return super().to_internal_value(data)


class StrictCharField(_Strict, serializers.CharField):
    pass


class StrictEmailField(_Strict, serializers.EmailField):
    pass


class StrictURLField(_Strict, serializers.URLField):
    pass


class StrictChoiceField(_Strict, serializers.ChoiceField):
    pass


class StrictIntegerField(_Strict, serializers.IntegerField):
    json_types = (int,)
    json_name = "a whole number"


class StrictBooleanField(_Strict, serializers.BooleanField):
    json_types = (bool,)
    json_name = "true or false"


class StrictDecimalField(_Strict, serializers.DecimalField):
    """A decimal sent as a string ("1250.00"), as the schema documents it."""


class StrictDateTimeField(_Strict, serializers.DateTimeField):
    pass


class StrictModelSerializer(serializers.ModelSerializer):
    """A model serializer for JSON bodies whose fields accept only their documented JSON types."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.URLField: StrictURLField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
        models.DecimalField: StrictDecimalField,
        models.DateTimeField: StrictDateTimeField,
    }
    serializer_choice_field = StrictChoiceField
