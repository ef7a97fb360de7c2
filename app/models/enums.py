"""Closed vocabularies, stored as their lowercase string values (VARCHAR + CHECK), so the
same schema works on SQLite and PostgreSQL and values read well in SQL."""

from __future__ import annotations

import enum

from sqlalchemy import Enum as SAEnum


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a human label: ``Kind.X = ("x", "Label")``."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


def db_enum(enum_class: type[enum.Enum], name: str) -> SAEnum:
    return SAEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class SubRegion(LabelledEnum):
    SOUTH_ASIA = ("south_asia", "South Asia / Sub-continent")
    FAR_EAST = ("far_east", "Far East")
    SOUTH_EAST_ASIA = ("south_east_asia", "South-East Asia (ASEAN)")
    PACIFIC = ("pacific", "Oceania / Pacific")


SUBREGION_ORDER = {region: index for index, region in enumerate(SubRegion)}


class Role(LabelledEnum):
    ADMIN = ("admin", "Administrator")
    STAFF = ("staff", "ROCB staff")
    CONTACT_POINT = ("contact_point", "Member contact point")


class ActivityKind(LabelledEnum):
    NATIONAL_WORKSHOP = ("national_workshop", "National workshop")
    SUB_REGIONAL_WORKSHOP = ("sub_regional_workshop", "Sub-regional workshop")
    REGIONAL_WORKSHOP = ("regional_workshop", "Regional workshop")
    MASTER_TRAINER_PROGRAMME = ("master_trainer_programme", "Master trainer programme")
    TRAINING = ("training", "Training")
    ACCREDITATION = ("accreditation", "Accreditation workshop")
    MEETING = ("meeting", "Meeting")
    ONGOING_ACTION = ("ongoing_action", "Ongoing action")


# Kinds that count as capacity-building activities in KPI 3-(g). Meetings and ongoing
# actions ("Upon request, consult with the WCO ...") are kept in the plan but not counted.
CB_ACTIVITY_KINDS: frozenset[ActivityKind] = frozenset(
    {
        ActivityKind.NATIONAL_WORKSHOP,
        ActivityKind.SUB_REGIONAL_WORKSHOP,
        ActivityKind.REGIONAL_WORKSHOP,
        ActivityKind.MASTER_TRAINER_PROGRAMME,
        ActivityKind.TRAINING,
        ActivityKind.ACCREDITATION,
    }
)


class Modality(LabelledEnum):
    IN_PERSON = ("in_person", "In person")
    VIRTUAL = ("virtual", "Virtual")
    HYBRID = ("hybrid", "Hybrid")


class ActivityStatus(LabelledEnum):
    PLANNED = ("planned", "Planned")
    CONFIRMED = ("confirmed", "Confirmed")
    DELIVERED = ("delivered", "Delivered")
    CANCELLED = ("cancelled", "Cancelled")


class Gender(LabelledEnum):
    FEMALE = ("female", "Female")
    MALE = ("male", "Male")
    OTHER = ("other", "Other")
    UNDISCLOSED = ("undisclosed", "Prefers not to say")


class QuestionnaireKind(LabelledEnum):
    NEEDS_ASSESSMENT = ("needs_assessment", "Needs assessment")
    EVALUATION = ("evaluation", "Participant evaluation")
    FOLLOW_UP = ("follow_up", "Follow-up action survey")
    OTHER = ("other", "Other survey")


class RoundStatus(LabelledEnum):
    DRAFT = ("draft", "Not opened yet")
    OPEN = ("open", "Open")
    CLOSED = ("closed", "Closed")


class ResponseStatus(LabelledEnum):
    DRAFT = ("draft", "In progress")
    SUBMITTED = ("submitted", "Submitted")


def label_for(value: object) -> str:
    """Jinja filter: the human label of an enum member, or the value itself."""
    if value is None:
        return ""
    return getattr(value, "label", str(value))
