"""The respondent's browser session: which invitation this browser answers for, and the
resume token of a response started on a round's shared link (the database keeps only
its hash). The respondent pages and the portal (a contact point answering for their
administration) both use it."""

from __future__ import annotations

from flask import session

from app.models import Invitation, SurveyRound

INVITATIONS_KEY = "survey_invitations"
TOKENS_KEY = "survey_tokens"


def bind_invitation(invitation: Invitation) -> None:
    """Remember in the session that this browser answers for ``invitation``."""
    bound = dict(session.get(INVITATIONS_KEY) or {})
    bound[str(invitation.round_id)] = invitation.id
    session[INVITATIONS_KEY] = bound
    session.permanent = True


def bound_invitation_id(survey_round: SurveyRound) -> int | None:
    """The id of the invitation this browser answers for in ``survey_round``, if any."""
    return (session.get(INVITATIONS_KEY) or {}).get(str(survey_round.id))


def resume_token(survey_round: SurveyRound) -> str | None:
    return (session.get(TOKENS_KEY) or {}).get(str(survey_round.id))


def remember_resume_token(survey_round: SurveyRound, token: str) -> None:
    tokens = dict(session.get(TOKENS_KEY) or {})
    tokens[str(survey_round.id)] = token
    session[TOKENS_KEY] = tokens
    session.permanent = True


def bound_invitations() -> dict[str, int]:
    """Every invitation this browser is bound to, by round id (as text)."""
    return dict(session.get(INVITATIONS_KEY) or {})


def resume_tokens() -> dict[str, str]:
    """Every resume token this browser holds, by round id (as text)."""
    return dict(session.get(TOKENS_KEY) or {})
