"""Column types shared by every capability."""
import enum
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC (timestamptz on PostgreSQL, naive UTC text on SQLite).

    Naive datetimes are refused: every moment has to say which zone it is in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"UTCDateTime needs an aware datetime, got {value!r}")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_class, length: int = 30):
    """A Python enum stored by value as a short string (portable, no native ENUM type)."""
    from sqlalchemy import Enum

    return Enum(enum_class, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members],
                validate_strings=True)


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members carry the words people read, declared together (as Django's
    TextChoices): `OFF_TOPIC = "off_topic", _l("nie dotyczy tematu konsultacji")`. The value
    is what is stored; `member.label` what is shown; `labels()` the mapping for forms and pages."""

    def __new__(cls, value: str, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict:
        return {member: member.label for member in cls}
