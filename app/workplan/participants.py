"""Participants of an activity: adding and editing one, and importing a list from CSV or
XLSX.

An import is all or nothing: every row is checked first, and when any row has an error the
file is rejected with every error listed by row and column, and nothing is written. A
person is matched by email when there is one (so someone who attends several activities is
one participant), otherwise by name and Member within the same activity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import BinaryIO

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.common.keyset import Page, keyset_page
from app.common.tables import RowError, TableFileError, TableLimits, read_table, text_of
from app.models import Activity, Attendance, Gender, Participant
from app.workplan.members import MemberDirectory


def _own_name(code: str) -> str | None:
    try:
        return Locale.parse(code).get_display_name(code)
    except (ValueError, LookupError, UnknownLocaleError):
        return None


COLUMN_ALIASES = {
    "name": "name",
    "full name": "name",
    "participant": "name",
    "participant name": "name",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "member": "member",
    "member code": "member",
    "administration": "member",
    "country": "member",
    "economy": "member",
    "code": "member",
    "gender": "gender",
    "sex": "gender",
    "position": "position",
    "job title": "position",
    "title": "position",
    "designation": "position",
    "function": "position",
    "language": "language",
    "preferred language": "language",
    "langue": "language",
}
REQUIRED_COLUMNS = ("name", "member")
GENDER_ALIASES = {
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "w": Gender.FEMALE,
    "male": Gender.MALE,
    "m": Gender.MALE,
    "man": Gender.MALE,
    "other": Gender.OTHER,
    "x": Gender.OTHER,
    "non-binary": Gender.OTHER,
    "undisclosed": Gender.UNDISCLOSED,
    "prefer not to say": Gender.UNDISCLOSED,
    "prefers not to say": Gender.UNDISCLOSED,
    "": Gender.UNDISCLOSED,
}
MAX_LENGTHS = {"name": 200, "email": 254, "position": 200}


# Languages whose own name ("Français", "ไทย") a list may use instead of the English one.
OWN_NAMES_OF = frozenset(
    re.findall(
        r"[a-z]{2}", "ar bn de dz es fa fr hi id ja km ko lo mn ms my ne pt ru si ta th ur vi zh"
    )
)


@cache
def _language_codes() -> tuple[frozenset[str], dict[str, str]]:
    """Two-letter language codes, and the code of each language's name in English (and,
    for OWN_NAMES_OF, in itself), read once on the first use."""
    english = {
        code: name
        for code, name in Locale("en").languages.items()
        if re.fullmatch(r"[a-z]{2}", code)
    }
    by_name = {name.lower(): code for code, name in english.items()}
    for code in OWN_NAMES_OF:
        own = _own_name(code)
        if own:
            by_name.setdefault(own.lower(), code)
    return frozenset(english), by_name


class ParticipantError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# The file as a whole cannot be read (format, header); nothing was written.
ParticipantFileError = TableFileError


@dataclass
class ParticipantData:
    name: str
    member_id: int
    email: str | None = None
    gender: Gender = Gender.UNDISCLOSED
    position: str = ""
    # Their preferred language (two-letter code); "" clears it, None leaves it as it is.
    language: str | None = None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    attached: int = 0
    already_attending: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def normalise_participant_email(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ParticipantError("email", f"{value!r} is not a valid email address.") from None


def parse_gender(value: str | None) -> Gender:
    key = (value or "").strip().lower()
    if key not in GENDER_ALIASES:
        raise ParticipantError(
            "gender",
            f"{value!r} is not a gender this list knows: use female, male, other "
            "or leave it empty.",
        )
    return GENDER_ALIASES[key]


def parse_language(value: str | None) -> str:
    """A preferred language as its two-letter code ("" when not given): a code ("fr",
    "fr-FR") or a language's name in English or in itself ("French", "Français")."""
    text = (value or "").strip()
    if not text:
        return ""
    codes, by_name = _language_codes()
    code = re.split(r"[-_]", text.lower())[0]
    if code in codes:
        return code
    named = by_name.get(text.lower())
    if named:
        return named
    raise ParticipantError(
        "language",
        f"{text!r} is not a language this list knows: use a two-letter code such as en or "
        "fr, or the language's name.",
    )


def _email_owner(session: Session, email: str | None) -> Participant | None:
    if not email:
        return None
    return session.scalar(select(Participant).where(Participant.email == email))


def add_participant(session: Session, activity: Activity, data: ParticipantData) -> Participant:
    """Add a person to an activity; an existing participant with the same email is reused
    (and their details updated) rather than duplicated."""
    _check_lengths(data)
    participant = _email_owner(session, data.email)
    if participant is not None and session.scalar(
        select(Attendance.id).where(
            Attendance.activity_id == activity.id, Attendance.participant_id == participant.id
        )
    ):
        raise ParticipantError(
            "email", f"{participant.name} ({data.email}) is already a participant of this activity."
        )
    if participant is None:
        participant = Participant(email=data.email)
        session.add(participant)
    _apply(participant, data)
    session.flush()
    session.add(Attendance(activity_id=activity.id, participant_id=participant.id))
    session.flush()
    return participant


def update_participant(
    session: Session, participant: Participant, data: ParticipantData
) -> Participant:
    _check_lengths(data)
    owner = _email_owner(session, data.email)
    if owner is not None and owner.id != participant.id:
        raise ParticipantError("email", f"{data.email} is already the email of {owner.name}.")
    participant.email = data.email
    _apply(participant, data)
    session.flush()
    return participant


def remove_attendance(session: Session, activity: Activity, participant: Participant) -> None:
    attendance = session.scalar(
        select(Attendance).where(
            Attendance.activity_id == activity.id, Attendance.participant_id == participant.id
        )
    )
    if attendance is not None:
        session.delete(attendance)
        session.flush()


def _apply(participant: Participant, data: ParticipantData) -> None:
    participant.name = data.name.strip()
    participant.member_id = data.member_id
    participant.gender = data.gender
    participant.position = data.position.strip()
    if data.language is not None:
        participant.language = data.language or None


def _check_lengths(data: ParticipantData) -> None:
    if not data.name.strip():
        raise ParticipantError("name", "Give the participant's name.")
    for name, limit in MAX_LENGTHS.items():
        value = getattr(data, name) or ""
        if len(value) > limit:
            raise ParticipantError(name, f"At most {limit} characters.")


# -- import --------------------------------------------------------------------------------


def read_participant_file(filename: str, stream: BinaryIO, max_rows: int) -> list[dict]:
    """Rows of a CSV or XLSX file as dicts keyed by the canonical column names, each with
    its spreadsheet row number under ``"_row"`` and unknown headers under ``"_ignored"``."""
    limits = TableLimits.for_rows(max_rows, "participants")
    rows = read_table(filename, stream, limits)
    header = next(rows, None)
    if header is None:
        raise ParticipantFileError(f"{filename} is empty: the first row must name the columns.")
    columns: list[str | None] = []
    ignored: list[str] = []
    for number, cell in enumerate(header, start=1):
        label = re.sub(r"\s+", " ", str(cell or "")).strip().lower().rstrip(":*")
        canonical = COLUMN_ALIASES.get(label)
        if canonical is not None and canonical in columns:
            raise ParticipantFileError(
                f"{filename}: the column {canonical!r} appears twice in row 1 (column "
                f"{number}, {str(cell).strip()!r}); keep one of them."
            )
        columns.append(canonical)
        if canonical is None and label:
            ignored.append(str(cell).strip())
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ParticipantFileError(
            f"{filename}: row 1 must name the columns; missing {', '.join(missing)} "
            f"(expected name, email, member, gender, position, language)."
        )
    records: list[dict] = []
    for number, values in enumerate(rows, start=2):
        cells = [text_of(v) for v in values]
        if not any(cells):
            continue
        record: dict = {"_row": number, "_ignored": ignored}
        for column, value in zip(columns, cells, strict=False):
            if column:
                record[column] = value
        records.append(record)
    return records


def import_participants(session: Session, activity: Activity, records: list[dict]) -> ImportResult:
    """Check every row, then (only if all are valid) add them to ``activity``."""
    result = ImportResult(rows=len(records))
    if records:
        result.ignored_columns = list(records[0]["_ignored"])
    directory = MemberDirectory.from_session(session)
    valid: list[ParticipantData] = []
    seen_emails: dict[str, int] = {}
    for record in records:
        errors, data = _check_record(record, directory, seen_emails)
        result.errors.extend(errors)
        if data is not None:
            valid.append(data)
    if result.errors:
        return result
    for data in valid:
        _import_one(session, activity, data, result)
    session.flush()
    return result


def _check_record(
    record: dict, directory: MemberDirectory, seen_emails: dict[str, int]
) -> tuple[list[RowError], ParticipantData | None]:
    """One row's errors, and its participant when it has none. ``seen_emails`` (email ->
    row) finds the same address twice in the file."""
    row = record["_row"]
    errors: list[RowError] = []
    name = record.get("name", "")
    if not name:
        errors.append(RowError(row, "name", "the name is empty."))
    elif len(name) > MAX_LENGTHS["name"]:
        errors.append(RowError(row, "name", "longer than 200 characters."))
    member_value = record.get("member", "")
    member = directory.resolve(member_value) if member_value else None
    if not member_value:
        errors.append(
            RowError(row, "member", "the Member is empty; give its ISO code (e.g. FJI) or name.")
        )
    elif member is None:
        errors.append(
            RowError(
                row,
                "member",
                f"{member_value!r} is not a Member of the region (use e.g. FJI or Fiji).",
            )
        )
    email = None
    try:
        email = normalise_participant_email(record.get("email"))
    except ParticipantError as error:
        errors.append(RowError(row, "email", error.message))
    if email and email in seen_emails:
        errors.append(RowError(row, "email", f"{email} is also on row {seen_emails[email]}."))
    elif email:
        seen_emails[email] = row
    gender, position, language = _person_details(record, errors)
    if errors or member is None:
        return errors, None
    return errors, ParticipantData(name, member.id, email, gender, position, language)


def _person_details(record: dict, errors: list[RowError]) -> tuple[Gender, str, str | None]:
    """A row's gender, position and language (None without a language column), its
    errors added to ``errors``."""
    row = record["_row"]
    gender = Gender.UNDISCLOSED
    try:
        gender = parse_gender(record.get("gender"))
    except ParticipantError as error:
        errors.append(RowError(row, "gender", error.message))
    position = record.get("position", "")
    if len(position) > MAX_LENGTHS["position"]:
        errors.append(RowError(row, "position", "longer than 200 characters."))
    language = None
    if "language" in record:
        try:
            language = parse_language(record.get("language"))
        except ParticipantError as error:
            errors.append(RowError(row, "language", error.message))
    return gender, position, language


def _import_one(
    session: Session, activity: Activity, data: ParticipantData, result: ImportResult
) -> None:
    participant = _email_owner(session, data.email)
    if participant is None and not data.email:
        # Without an email, the same name and Member on this activity is the same person.
        participant = session.scalar(
            select(Participant)
            .join(Attendance, Attendance.participant_id == Participant.id)
            .where(
                Attendance.activity_id == activity.id,
                Participant.email.is_(None),
                Participant.name == data.name.strip(),
                Participant.member_id == data.member_id,
            )
        )
    if participant is None:
        participant = Participant(email=data.email)
        session.add(participant)
        result.created += 1
    else:
        result.updated += 1
    _apply(participant, data)
    session.flush()
    attending = session.scalar(
        select(Attendance.id).where(
            Attendance.activity_id == activity.id, Attendance.participant_id == participant.id
        )
    )
    if attending:
        result.already_attending += 1
    else:
        session.add(Attendance(activity_id=activity.id, participant_id=participant.id))
        result.attached += 1


def participants_of(
    session: Session, activity: Activity, page: int = 1, per_page: int = 100
) -> tuple[list[Participant], int]:
    """One page of the activity's participants by name, with their Member loaded (in the
    same statement), and how many it has in all."""
    people = list(
        session.scalars(
            select(Participant)
            .join(Attendance, Attendance.participant_id == Participant.id)
            .where(Attendance.activity_id == activity.id)
            .order_by(Participant.name, Participant.id)
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
            .options(joinedload(Participant.member))
        )
    )
    total = session.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.activity_id == activity.id)
    )
    return people, total or 0


def participant_of(session: Session, activity: Activity, participant_id: int) -> Participant | None:
    """Participant ``participant_id`` if they attend ``activity``."""
    return session.scalar(
        select(Participant)
        .join(Attendance, Attendance.participant_id == Participant.id)
        .where(Attendance.activity_id == activity.id, Participant.id == participant_id)
    )


def participant_changes(
    session: Session,
    activity_id: int | None,
    updated_after: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Page[Participant]:
    """A page of participants (of one activity if given) in the order they last changed
    (``updated_at``, then id: an erasure is a change), after the key ``after``; only those
    changed after ``updated_after`` if given. Two statements: the page (with Members),
    then the activities they attend."""
    query = select(Participant, Participant.updated_at, Participant.id).options(
        joinedload(Participant.member), selectinload(Participant.attendances)
    )
    if activity_id is not None:
        query = query.where(
            select(Attendance.id)
            .where(
                Attendance.participant_id == Participant.id,
                Attendance.activity_id == activity_id,
            )
            .exists()
        )
    if updated_after is not None:
        query = query.where(Participant.updated_at > updated_after)
    return keyset_page(session, query, (Participant.updated_at, Participant.id), after, limit)
