"""The OpenAPI 3.1 description of /api/v1 (a test checks it against the routes)."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok_status: str, ok_schema: dict, *errors: str) -> dict:
    responses = {
        ok_status: {"description": "OK", **_json(ok_schema)},
        "401": {"description": "Missing or invalid API token", **_json(ERROR)},
    }
    for status in errors:
        responses[status] = {
            "description": {
                "400": "Malformed request",
                "404": "Not found",
                "409": "Conflict",
                "422": "Invalid fields (see errors)",
            }[status],
            **_json(ERROR),
        }
    return responses


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def openapi_document(base_url: str) -> dict:
    activity = {"$ref": "#/components/schemas/Activity"}
    survey_round = {"$ref": "#/components/schemas/Round"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ROCB A/P surveys API",
            "version": "1",
            "description": "Activities, participants, survey rounds, invitations and "
            "responses. Authenticate with a staff token: `Authorization: "
            "Bearer <token>` (`flask users token EMAIL`).",
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OK"}},
                }
            },
            "/activities": {
                "get": {
                    "summary": "List activities",
                    "parameters": [
                        {
                            "name": "year",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "example": "2025-2026"},
                        }
                    ],
                    "responses": _responses(
                        "200",
                        {
                            "type": "object",
                            "properties": {"activities": {"type": "array", "items": activity}},
                        },
                        "400",
                        "404",
                    ),
                },
                "post": {
                    "summary": "Create an activity",
                    "requestBody": {
                        "required": True,
                        **_json({"$ref": "#/components/schemas/NewActivity"}),
                    },
                    "responses": _responses("201", activity, "400", "422"),
                },
            },
            "/activities/{activity_id}/participants": {
                "post": {
                    "summary": "Add participants (all or nothing; matched by email)",
                    "parameters": [_path_id("activity_id")],
                    "requestBody": {
                        "required": True,
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "participants": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Participant"},
                                    }
                                },
                            }
                        ),
                    },
                    "responses": _responses(
                        "200",
                        {
                            "type": "object",
                            "properties": {
                                name: {"type": "integer"}
                                for name in ("created", "updated", "attached", "already_attending")
                            },
                        },
                        "400",
                        "404",
                        "422",
                    ),
                }
            },
            "/activities/{activity_id}/deliver": {
                "post": {
                    "summary": "Mark delivered: opens the evaluation, schedules follow-up waves",
                    "parameters": [_path_id("activity_id")],
                    "responses": _responses(
                        "200",
                        {
                            "type": "object",
                            "properties": {
                                "activity": activity,
                                "rounds": {"type": "array", "items": survey_round},
                                "created": {"type": "array", "items": {"type": "integer"}},
                            },
                        },
                        "404",
                        "409",
                        "422",
                    ),
                }
            },
            "/kpis": {
                "get": {
                    "summary": "KPIs of items 3-(f) to 3-(j) for a plan year (as the dashboard)",
                    "parameters": [
                        {
                            "name": "year",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "example": "2025-2026"},
                        },
                        {
                            "name": "member",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "example": "FJI"},
                        },
                        {
                            "name": "subregion",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "enum": ["south_asia", "far_east", "south_east_asia", "pacific"],
                            },
                        },
                        {
                            "name": "item",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "example": "1-(a)"},
                        },
                        {
                            "name": "kind",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "modality",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "enum": ["in_person", "virtual", "hybrid"],
                            },
                        },
                    ],
                    "responses": _responses(
                        "200", {"$ref": "#/components/schemas/Kpis"}, "400", "404"
                    ),
                }
            },
            "/rounds": {
                "get": {
                    "summary": "List rounds with their statistics",
                    "parameters": [
                        {
                            "name": "activity",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer"},
                        },
                        {
                            "name": "kind",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "enum": ["needs_assessment", "evaluation", "follow_up", "other"],
                            },
                        },
                    ],
                    "responses": _responses(
                        "200",
                        {
                            "type": "object",
                            "properties": {"rounds": {"type": "array", "items": survey_round}},
                        },
                        "400",
                    ),
                }
            },
            "/rounds/{round_id}/invitations": {
                "get": {
                    "summary": "Invitations of a round, each with its personal link",
                    "parameters": [_path_id("round_id")],
                    "responses": _responses(
                        "200",
                        {
                            "type": "object",
                            "properties": {
                                "invitations": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Invitation"},
                                }
                            },
                        },
                        "404",
                    ),
                }
            },
            "/rounds/{round_id}/invitations/{invitation_id}/resend": {
                "post": {
                    "summary": "Send an invitation again (same personal link)",
                    "parameters": [_path_id("round_id"), _path_id("invitation_id")],
                    "responses": _responses(
                        "200",
                        {
                            "type": "object",
                            "properties": {
                                "sent": {"type": "array", "items": {"type": "string"}},
                                "queued_for_retry": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                        "404",
                        "409",
                        "422",
                    ),
                }
            },
            "/rounds/{round_id}/responses": {
                "get": {
                    "summary": "Submitted responses, answers by question key",
                    "parameters": [_path_id("round_id")],
                    "responses": _responses(
                        "200",
                        {
                            "type": "object",
                            "properties": {
                                "round": {"type": "integer"},
                                "anonymous": {"type": "boolean"},
                                "responses": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "id": {"type": "integer"},
                                            "submitted_at": {
                                                "type": "string",
                                                "format": "date-time",
                                            },
                                            "member": {"type": ["string", "null"]},
                                            "answers": {"type": "object"},
                                        },
                                    },
                                },
                            },
                        },
                        "404",
                    ),
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Kpis": {
                    "type": "object",
                    "required": [
                        "year",
                        "filters",
                        "surveys_conducted",
                        "activities",
                        "evaluation",
                        "post_action",
                        "tangible_results",
                    ],
                    "properties": {
                        "year": {"type": "string"},
                        "filters": {"type": "object"},
                        "surveys_conducted": {
                            "type": "object",
                            "properties": {
                                "rounds": {"type": "integer"},
                                "by_kind": {"type": "object"},
                                "invitations": {"type": "integer"},
                                "responses": {"type": "integer"},
                                "response_rate": {"type": ["number", "null"]},
                            },
                        },
                        "activities": {
                            "type": "object",
                            "properties": {
                                "delivered": {"type": "integer"},
                                "by_kind": {"type": "object"},
                                "participants": {"type": "integer"},
                                "women_share": {"type": ["number", "null"]},
                                "members_reached": {"type": "integer"},
                                "needs_coverage": {"type": ["number", "null"]},
                                "uncovered_needs": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "member": {"type": "string"},
                                            "area": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        },
                        "evaluation": {
                            "type": "object",
                            "properties": {
                                "responses": {"type": "integer"},
                                "response_rate": {"type": ["number", "null"]},
                                "overall_mean": {"type": ["number", "null"]},
                                "overall_distribution": {"type": "object"},
                                "top2_share": {"type": ["number", "null"]},
                                "nps": {"type": ["number", "null"]},
                                "dimensions": {"type": "object"},
                                "knowledge_gain": {"type": ["number", "null"]},
                            },
                        },
                        "post_action": {
                            "type": "object",
                            "properties": {
                                "findings": {"type": "integer"},
                                "actioned": {"type": "integer"},
                                "actions": {"type": "integer"},
                            },
                        },
                        "tangible_results": {
                            "type": "object",
                            "properties": {
                                "reported": {"type": "integer"},
                                "verified": {"type": "integer"},
                                "rejected": {"type": "integer"},
                                "by_member": {"type": "object"},
                                "by_category": {"type": "object"},
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "message": {"type": "string"},
                        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                "NewActivity": {
                    "type": "object",
                    "required": ["year", "title", "kind"],
                    "properties": {
                        "year": {"type": "string", "example": "2025-2026"},
                        "title": {"type": "string"},
                        "kind": {
                            "type": "string",
                            "enum": [
                                "national_workshop",
                                "sub_regional_workshop",
                                "regional_workshop",
                                "master_trainer_programme",
                                "training",
                                "accreditation",
                                "meeting",
                                "ongoing_action",
                            ],
                        },
                        "modality": {"type": "string", "enum": ["in_person", "virtual", "hybrid"]},
                        "status": {
                            "type": "string",
                            "enum": ["planned", "confirmed", "delivered", "cancelled"],
                        },
                        "starts_on": {"type": "string", "format": "date"},
                        "ends_on": {"type": "string", "format": "date"},
                        "venue": {"type": "string"},
                        "experts": {"type": "integer", "minimum": 0},
                        "accredited_experts": {"type": "integer", "minimum": 0},
                        "follow_up_months": {"type": "string", "example": "6, 12"},
                        "members": {
                            "type": "array",
                            "items": {"type": "string"},
                            "example": ["FJI"],
                        },
                        "items": {
                            "type": "array",
                            "items": {"type": "string"},
                            "example": ["1-(a)"],
                        },
                    },
                },
                "Activity": {
                    "allOf": [
                        {"$ref": "#/components/schemas/NewActivity"},
                        {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "counts_as_cb_activity": {"type": "boolean"},
                            },
                        },
                    ]
                },
                "Participant": {
                    "type": "object",
                    "required": ["name", "member"],
                    "properties": {
                        "name": {"type": "string"},
                        "email": {"type": "string", "format": "email"},
                        "member": {"type": "string", "example": "FJI"},
                        "gender": {
                            "type": "string",
                            "enum": ["female", "male", "other", "undisclosed"],
                        },
                        "position": {"type": "string"},
                    },
                },
                "Round": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"type": "string"},
                        "title": {"type": "string"},
                        "questionnaire": {"type": "string"},
                        "version": {"type": "integer"},
                        "activity": {"type": ["integer", "null"]},
                        "year": {"type": "string"},
                        "status": {"type": "string"},
                        "opens_on": {"type": "string", "format": "date"},
                        "closes_on": {"type": ["string", "null"], "format": "date"},
                        "anonymous": {"type": "boolean"},
                        "wave": {"type": ["integer", "null"]},
                        "open_link": {"type": ["string", "null"]},
                        "stats": {"type": "object"},
                    },
                },
                "Invitation": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "email": {"type": ["string", "null"]},
                        "member": {"type": "string"},
                        "participant": {"type": ["integer", "null"]},
                        "link": {"type": "string"},
                        "opened_at": {"type": ["string", "null"], "format": "date-time"},
                        "started_at": {"type": ["string", "null"], "format": "date-time"},
                        "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
            },
        },
    }
