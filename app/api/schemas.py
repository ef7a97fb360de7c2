"""The one description of the API's parameters, bodies and answers: webargs validates
requests with these schemas, the views' answers are serialised with them, and the OpenAPI
document (/api/v1/openapi.json) is generated from them by flask-smorest and apispec."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import g
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from app.common.keyset import MAX_PAGE, utc
from app.journeys.invitations import invitation_link
from app.models import ActivityKind, ActivityStatus, Modality, QuestionnaireKind, RoundStatus
from app.models.enums import Gender, SubRegion
from app.surveys.answers import values_to_json
from app.web.settings import journey_settings

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
DEFAULT_PAGE = 50


class UtcDateTime(fields.AwareDateTime):
    """A moment in ISO 8601, read with its offset (UTC when it has none) and written in
    UTC."""

    def __init__(self, **kwargs: Any):
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any):
        return None if value is None else utc(value).isoformat()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        return utc(super()._deserialize(value, attr, data, **kwargs))


class QueryInteger(fields.Integer):
    """A whole number written in ASCII digits (no sign, spaces, underscores or other
    scripts' digits, which int() would take)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,10}", value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _id(**kwargs: Any) -> fields.Integer:
    return QueryInteger(validate=validate.Range(1, MAX_ID), **kwargs)


def _enum(enum_class: Any, **kwargs: Any) -> fields.Enum:
    return fields.Enum(enum_class, by_value=True, **kwargs)


# Problems ---------------------------------------------------------------------------


class InvalidParamSchema(Schema):
    name = fields.String(required=True, metadata={"description": "the parameter or field"})
    in_ = fields.String(
        data_key="in",
        required=True,
        validate=validate.OneOf(["query", "path", "body", "header"]),
    )
    reason = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    invalid_params = fields.List(
        fields.Nested(InvalidParamSchema), data_key="invalid-params", required=False
    )


# Query parameters -------------------------------------------------------------------


class PageArgs(Schema):
    limit = QueryInteger(
        load_default=DEFAULT_PAGE,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"rows per page, 1 to {MAX_PAGE}"},
    )
    cursor = fields.String(
        validate=validate.Length(1, 400),
        metadata={"description": "the opaque position from a `next` or `resume` link"},
    )


class ChangedArgs(PageArgs):
    updated_after = UtcDateTime(
        metadata={"description": "only rows changed strictly after this moment (ISO 8601)"}
    )


class ActivityArgs(ChangedArgs):
    year = fields.String(
        validate=validate.Regexp(r"^[0-9]{4}-[0-9]{4}$"), metadata={"example": "2025-2026"}
    )


class ParticipantArgs(ChangedArgs):
    activity = _id(metadata={"description": "only the participants of this activity"})


class RoundArgs(ChangedArgs):
    activity = _id(metadata={"description": "only the rounds of this activity"})
    kind = _enum(QuestionnaireKind)


class ResponseArgs(PageArgs):
    submitted_after = UtcDateTime(
        metadata={"description": "only responses submitted strictly after this moment"}
    )


class KpiArgs(Schema):
    year = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{4}-[0-9]{4}$"),
        metadata={"example": "2025-2026"},
    )
    member = fields.String(validate=validate.Length(max=3))
    subregion = _enum(SubRegion)
    item = fields.String(validate=validate.Length(max=20))
    kind = _enum(ActivityKind)
    modality = _enum(Modality)


# Bodies -----------------------------------------------------------------------------


class NewActivitySchema(Schema):
    year = fields.String(required=True, metadata={"example": "2025-2026"})
    title = fields.String(required=True, validate=validate.Length(1, 500))
    kind = _enum(ActivityKind, required=True)
    status = _enum(ActivityStatus, load_default=ActivityStatus.PLANNED)
    modality = _enum(Modality, allow_none=True, load_default=None)
    starts_on = fields.Date(allow_none=True, load_default=None)
    ends_on = fields.Date(allow_none=True, load_default=None)
    venue = fields.String(load_default="", validate=validate.Length(max=200))
    experts = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 1000))
    accredited_experts = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(0, 1000)
    )
    follow_up_months = fields.String(
        load_default="", validate=validate.Length(max=50), metadata={"example": "6, 12"}
    )
    members = fields.List(
        fields.String(validate=validate.Length(max=60)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"example": ["FJI"]},
    )
    items = fields.List(
        fields.String(validate=validate.Length(max=20)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"example": ["1-(a)"]},
    )


class NewParticipantSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(max=200))
    member = fields.String(
        required=True,
        validate=validate.Length(max=120),
        metadata={"description": "ISO code or name"},
    )
    email = fields.String(allow_none=True, load_default="", validate=validate.Length(max=254))
    gender = fields.String(allow_none=True, load_default="", validate=validate.Length(max=30))
    position = fields.String(allow_none=True, load_default="", validate=validate.Length(max=200))


class NewParticipantsSchema(Schema):
    """``{"participants": [...]}``; a bare list of participants is read the same way."""

    participants = fields.List(
        fields.Nested(NewParticipantSchema),
        required=True,
        validate=validate.Length(1, 2000),
    )

    @pre_load
    def _bare_list(self, data: Any, **_kwargs: Any) -> Any:
        return {"participants": data} if isinstance(data, list) else data


# Answers ----------------------------------------------------------------------------


class CodeSchema(Schema):
    code = fields.String()


class ActivitySchema(Schema):
    id = fields.Integer(required=True)
    year = fields.String(attribute="plan_year.label", required=True)
    title = fields.String(required=True)
    kind = _enum(ActivityKind, required=True)
    counts_as_cb_activity = fields.Boolean(required=True)
    modality = _enum(Modality, allow_none=True, required=True)
    status = _enum(ActivityStatus, required=True)
    starts_on = fields.Date(allow_none=True, required=True)
    ends_on = fields.Date(allow_none=True, required=True)
    venue = fields.String(required=True)
    experts = fields.Integer(required=True)
    accredited_experts = fields.Integer(required=True)
    follow_up_months = fields.String(required=True)
    members = fields.Pluck(CodeSchema, "code", many=True, required=True)
    items = fields.Pluck(CodeSchema, "code", many=True, required=True)
    updated_at = UtcDateTime(required=True)


class ParticipantSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    member = fields.String(attribute="member.code", required=True)
    gender = _enum(Gender, required=True)
    position = fields.String(required=True)
    erased = fields.Method("_erased", required=True, metadata={"type": "boolean"})
    activities = fields.Method(
        "_activities",
        required=True,
        metadata={"type": "array", "items": {"type": "integer"}},
    )
    updated_at = UtcDateTime(required=True)

    def _erased(self, participant: Any) -> bool:
        return participant.erased_at is not None

    def _activities(self, participant: Any) -> list[int]:
        return sorted(a.activity_id for a in participant.attendances)


class RoundStatsSchema(Schema):
    invited = fields.Integer(required=True)
    opened = fields.Integer(required=True)
    started = fields.Integer(required=True)
    submitted = fields.Integer(attribute="responses_submitted", required=True)
    response_rate = fields.Float(allow_none=True, required=True)
    reminders_sent = fields.Integer(required=True)


class RoundSchema(Schema):
    id = fields.Integer(required=True)
    kind = _enum(QuestionnaireKind, required=True)
    title = fields.String(required=True)
    questionnaire = fields.String(attribute="version.questionnaire.key", required=True)
    version = fields.Integer(attribute="version.number", required=True)
    activity = fields.Integer(attribute="activity_id", allow_none=True, required=True)
    year = fields.String(attribute="plan_year.label", required=True)
    status = _enum(RoundStatus, required=True)
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(allow_none=True, required=True)
    anonymous = fields.Boolean(required=True)
    wave = fields.Integer(allow_none=True, required=True)
    open_link = fields.Method(
        "_open_link",
        required=True,
        metadata={"type": ["string", "null"], "description": "the shared link, if open"},
    )
    updated_at = UtcDateTime(required=True)

    def _open_link(self, survey_round: Any) -> str | None:
        if not survey_round.open_link:
            return None
        return f"{journey_settings().base_url}/s/{survey_round.slug}"


class RoundWithStatsSchema(RoundSchema):
    stats = fields.Nested(RoundStatsSchema, required=True)


class InvitationSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.Method("_email", required=True, metadata={"type": ["string", "null"]})
    member = fields.String(attribute="member.code", required=True)
    participant = fields.Integer(attribute="participant_id", allow_none=True, required=True)
    link = fields.Method(
        "_link",
        required=True,
        metadata={
            "type": ["string", "null"],
            "description": "the personal link: for read-and-write tokens only (it answers "
            "as the person)",
        },
    )
    opened_at = UtcDateTime(allow_none=True, required=True)
    started_at = UtcDateTime(allow_none=True, required=True)
    submitted_at = UtcDateTime(allow_none=True, required=True)
    updated_at = UtcDateTime(required=True)

    def _email(self, invitation: Any) -> str | None:
        return invitation.email or None

    def _link(self, invitation: Any) -> str | None:
        if g.api_token.scope != "write":
            return None
        config = journey_settings()
        return invitation_link(config.base_url, config.invitation_key, invitation)


class ResponseSchema(Schema):
    id = fields.Integer(attribute="response.id", required=True)
    submitted_at = UtcDateTime(attribute="response.submitted_at", required=True)
    member = fields.String(
        attribute="member_code",
        allow_none=True,
        required=True,
        metadata={"description": "null in anonymous rounds"},
    )
    answers = fields.Method(
        "_answers",
        required=True,
        metadata={"type": "object", "description": "answers by question key"},
    )

    def _answers(self, submitted: Any) -> dict[str, Any]:
        return values_to_json(submitted.values)


class PageLinksSchema(Schema):
    next = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "the next page, null on the last one"},
    )
    resume = fields.String(
        required=True,
        metadata={
            "description": "follow it later for only what changed after this page (a "
            "later pull: its rows, then its own next and resume links)"
        },
    )


class ActivityPageSchema(PageLinksSchema):
    activities = fields.List(fields.Nested(ActivitySchema), required=True)


class ParticipantPageSchema(PageLinksSchema):
    participants = fields.List(fields.Nested(ParticipantSchema), required=True)


class RoundPageSchema(PageLinksSchema):
    rounds = fields.List(fields.Nested(RoundWithStatsSchema), required=True)


class InvitationPageSchema(PageLinksSchema):
    invitations = fields.List(fields.Nested(InvitationSchema), required=True)


class ResponsePageSchema(PageLinksSchema):
    round = fields.Integer(required=True)
    anonymous = fields.Boolean(required=True)
    responses = fields.List(fields.Nested(ResponseSchema), required=True)


class ParticipantsAddedSchema(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    attached = fields.Integer(required=True)
    already_attending = fields.Integer(required=True)


class DeliverySchema(Schema):
    activity = fields.Nested(ActivitySchema, required=True)
    rounds = fields.List(fields.Nested(RoundSchema), required=True)
    created = fields.List(fields.Integer(), required=True)


class ResendSchema(Schema):
    sent = fields.List(fields.String(), required=True)
    queued_for_retry = fields.List(fields.String(), required=True)


def _counts(description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": description},
    )


def _share(description: str) -> fields.Float:
    return fields.Float(allow_none=True, required=True, metadata={"description": description})


class KpiFiltersSchema(Schema):
    member = fields.String(allow_none=True, required=True)
    subregion = fields.String(allow_none=True, required=True)
    item = fields.String(allow_none=True, required=True)
    kind = fields.String(allow_none=True, required=True)
    modality = fields.String(allow_none=True, required=True)


class SurveysConductedSchema(Schema):
    rounds = fields.Integer(required=True)
    by_kind = _counts("rounds by questionnaire kind")
    invitations = fields.Integer(required=True)
    responses = fields.Integer(required=True)
    response_rate = _share("0 to 1; null without invitations")


class UncoveredNeedSchema(Schema):
    member = fields.String(required=True)
    area = fields.String(required=True)


class ActivityKpisSchema(Schema):
    delivered = fields.Integer(required=True)
    by_kind = _counts("delivered activities by kind")
    participants = fields.Integer(required=True)
    women_share = _share("0 to 1")
    members_reached = fields.Integer(required=True)
    needs_coverage = _share("0 to 1")
    uncovered_needs = fields.List(fields.Nested(UncoveredNeedSchema), required=True)


class EvaluationKpisSchema(Schema):
    responses = fields.Integer(required=True)
    response_rate = _share("0 to 1")
    overall_mean = fields.Float(allow_none=True, required=True)
    overall_distribution = _counts("answers by score, 1 to 5")
    top2_share = _share("0 to 1")
    nps = fields.Float(allow_none=True, required=True)
    dimensions = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "each rated dimension's figures (docs/kpis.md)"},
    )
    knowledge_gain = fields.Float(allow_none=True, required=True)


class PostActionSchema(Schema):
    findings = fields.Integer(required=True)
    actioned = fields.Integer(required=True)
    actions = fields.Integer(required=True)


class TangibleResultsSchema(Schema):
    reported = fields.Integer(required=True)
    verified = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    by_member = _counts("verified results by Member")
    by_category = _counts("verified results by category")


class KpisSchema(Schema):
    """GET /kpis: the dashboard's totals (what each counts: docs/kpis.md)."""

    year = fields.String(required=True)
    filters = fields.Nested(KpiFiltersSchema, required=True)
    surveys_conducted = fields.Nested(SurveysConductedSchema, required=True)
    activities = fields.Nested(ActivityKpisSchema, required=True)
    evaluation = fields.Nested(EvaluationKpisSchema, required=True)
    post_action = fields.Nested(PostActionSchema, required=True)
    tangible_results = fields.Nested(TangibleResultsSchema, required=True)
