"""Storing questionnaire definitions as immutable versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Questionnaire, QuestionnaireKind, QuestionnaireVersion
from app.surveys.definitions import (
    DefinitionError,
    LoadedDefinition,
    load_definition_file,
)
from app.surveys.model import Definition, text_in


@dataclass
class SyncResult:
    loaded: list[LoadedDefinition] = field(default_factory=list)
    created: list[QuestionnaireVersion] = field(default_factory=list)
    unchanged: list[QuestionnaireVersion] = field(default_factory=list)
    errors: list[DefinitionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def definition_files(paths: list[Path]) -> list[Path]:
    """YAML files named by ``paths`` (files, or folders searched for *.yaml / *.yml)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def validate_files(paths: list[Path]) -> list[LoadedDefinition]:
    loaded = [load_definition_file(path) for path in definition_files(paths)]
    keys: dict[str, str] = {}
    for item in loaded:
        if item.data:
            key = item.data["key"]
            if key in keys:
                item.errors.append(
                    DefinitionError(
                        item.path, None, None, f"key {key!r} is also used by {keys[key]}"
                    )
                )
            keys.setdefault(key, item.path)
    return loaded


def sync_definitions(session: Session, paths: list[Path]) -> SyncResult:
    """Store every definition whose content is new as the next version of its
    questionnaire. If any file has an error, nothing at all is stored."""
    result = SyncResult(loaded=validate_files(paths))
    result.errors = [error for item in result.loaded for error in item.errors]
    if not result.loaded:
        result.errors.append(
            DefinitionError(", ".join(map(str, paths)), None, None, "no .yaml definition found")
        )
    if result.errors:
        return result
    existing = {q.key: q for q in session.scalars(select(Questionnaire))}
    for item in result.loaded:
        known = existing.get(item.content["key"])
        if known is not None and known.kind.value != item.content["kind"]:
            result.errors.append(
                DefinitionError(
                    item.path,
                    None,
                    None,
                    f"kind changed from {known.kind.value} to {item.content['kind']}; a "
                    "questionnaire keeps its kind, so give the new one another key",
                )
            )
    if result.errors:
        return result
    for item in result.loaded:
        data = item.content
        questionnaire = existing.get(data["key"])
        if questionnaire is None:
            questionnaire = Questionnaire(key=data["key"], kind=QuestionnaireKind(data["kind"]))
            session.add(questionnaire)
            session.flush()
        digest = item.content_hash
        same = session.scalar(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.questionnaire_id == questionnaire.id,
                QuestionnaireVersion.content_hash == digest,
            )
        )
        if same is not None:
            result.unchanged.append(same)
            continue
        version = QuestionnaireVersion(
            questionnaire=questionnaire,
            number=len(questionnaire.versions) + 1,
            content_hash=digest,
            title=text_in(data["title"])[:300],
            definition=data,
            source=item.source,
            source_path=Path(item.path).name,
        )
        session.add(version)
        session.flush()
        result.created.append(version)
    return result


# Parsed definitions by (version id, content hash). A stored version never changes, so
# its parsed form is kept for the life of the process; the hash keeps a database that
# was reset or restored (ids used again for other content) from reading a stale entry.
_PARSED: dict[tuple[int, str], Definition] = {}
_PARSED_MAX = 256


def definition_of(version: QuestionnaireVersion) -> Definition:
    return _parsed(version.id, version.content_hash, lambda: version.definition)


def definition_by_id(session: Session, version_id: int, content_hash: str) -> Definition:
    """The parsed definition of a version, read from the database only the first time the
    process needs it (the respondent pages know the id and hash from their one query)."""

    def stored() -> dict:
        version = session.get(QuestionnaireVersion, version_id)
        if version is None:
            raise LookupError(f"questionnaire version {version_id} does not exist")
        return version.definition

    return _parsed(version_id, content_hash, stored)


def _parsed(version_id: int, content_hash: str, stored) -> Definition:
    key = (version_id, content_hash)
    definition = _PARSED.get(key)
    if definition is None:
        definition = Definition.from_json(stored())
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)), None)
        _PARSED[key] = definition
    return definition


def latest_versions(session: Session) -> list[QuestionnaireVersion]:
    questionnaires = session.scalars(select(Questionnaire).order_by(Questionnaire.key)).all()
    return [q.latest for q in questionnaires if q.latest is not None]


def find_version(session: Session, key: str, number: int) -> QuestionnaireVersion | None:
    """Version ``number`` of the questionnaire ``key``."""
    return session.scalar(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.key == key, QuestionnaireVersion.number == number)
    )


def list_questionnaires(session: Session) -> list[Questionnaire]:
    return list(session.scalars(select(Questionnaire).order_by(Questionnaire.key)))


def all_versions(session: Session) -> list[QuestionnaireVersion]:
    """Every stored version: questionnaire by questionnaire, the newest first."""
    return list(
        session.scalars(
            select(QuestionnaireVersion)
            .join(Questionnaire)
            .order_by(Questionnaire.key, QuestionnaireVersion.number.desc())
        )
    )
