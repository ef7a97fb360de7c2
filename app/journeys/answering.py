"""What one respondent request needs to know, read in one statement.

Every respondent page needs the round (by its slug), the invitation the browser answers
for and the response being answered: the one the invitation points to, or the one the
browser's resume token names. The browser's session cookie holds, per round id, the
invitation it is bound to and its resume token; :func:`find_respondent` reads the round,
the invitation, the responses they lead to, the invitation's participant's preferred
language and the hash of the round's questionnaire version (to find its parsed definition
in memory) with one SELECT, whatever the size of
the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session, load_only

from app.models import Invitation, Participant, QuestionnaireVersion, Response, SurveyRound
from app.surveys.responses import hash_token


@dataclass
class Respondent:
    """The round, and what the browser holds in it (each may be missing)."""

    round: SurveyRound
    content_hash: str  # of the round's questionnaire version
    invitation: Invitation | None  # the invitation bound to this round
    by_invitation: Response | None  # the response that invitation points to
    by_token: Response | None  # the response the browser's resume token names
    language: str | None = None  # the invitation's participant's preferred language


# Built once: a request binds the slug, the browser's invitation ids and resume-token
# hashes (either list may be empty).
_RESPONDENT = (
    select(
        SurveyRound, QuestionnaireVersion.content_hash, Invitation, Response, Participant.language
    )
    .join(QuestionnaireVersion, QuestionnaireVersion.id == SurveyRound.version_id)
    .outerjoin(
        Invitation,
        and_(
            Invitation.id.in_(bindparam("invitations", expanding=True)),
            Invitation.round_id == SurveyRound.id,
        ),
    )
    .outerjoin(Participant, Participant.id == Invitation.participant_id)
    .outerjoin(
        Response,
        or_(
            Response.id == Invitation.response_id,
            and_(
                Response.round_id == SurveyRound.id,
                Response.resume_token_hash.in_(bindparam("tokens", expanding=True)),
            ),
        ),
    )
    .where(SurveyRound.slug == bindparam("slug"))
    # Only the columns the respondent pages read (one left out would be read on use, and
    # the statement budget test would see it).
    .options(
        load_only(
            SurveyRound.version_id,
            SurveyRound.kind,
            SurveyRound.plan_year_id,
            SurveyRound.activity_id,
            SurveyRound.title,
            SurveyRound.status,
            SurveyRound.opens_on,
            SurveyRound.closes_on,
            SurveyRound.slug,
            SurveyRound.open_link,
            SurveyRound.anonymous,
        ),
        load_only(
            Invitation.round_id,
            Invitation.participant_id,
            Invitation.member_id,
            Invitation.response_id,
            Invitation.opened_at,
            Invitation.started_at,
            Invitation.submitted_at,
            Invitation.email,  # what a respondent is offered by email (their link, a copy)
        ),
        load_only(
            Response.round_id,
            Response.status,
            Response.current_section,
            Response.resume_token_hash,
        ),
    )
)


def find_respondent(
    session: Session,
    slug: str,
    invitations: Mapping[str, int],
    tokens: Mapping[str, str],
) -> Respondent | None:
    """The round ``slug`` and what the browser holds in it: ``invitations`` and ``tokens``
    map round ids (as text) to the bound invitation id and the resume token. None for an
    unknown slug."""
    rows = session.execute(
        _RESPONDENT,
        {
            "slug": slug,
            "invitations": [i for i in invitations.values() if isinstance(i, int)],
            "tokens": [hash_token(t) for t in tokens.values() if isinstance(t, str)],
        },
    ).all()
    if not rows:
        return None
    survey_round, content_hash = rows[0][0], rows[0][1]
    round_key = str(survey_round.id)
    invitation: Invitation | None = rows[0][2]
    language: str | None = rows[0][4]
    if invitation is not None and invitation.id != invitations.get(round_key):
        invitation, language = None, None
    token = tokens.get(round_key)
    token_hash = hash_token(token) if isinstance(token, str) else None
    responses = {row[3].id: row[3] for row in rows if row[3] is not None}.values()
    wanted = invitation.response_id if invitation is not None else None
    by_invitation = next((r for r in responses if wanted is not None and r.id == wanted), None)
    by_token = next(
        (r for r in responses if token_hash and r.resume_token_hash == token_hash), None
    )
    return Respondent(survey_round, content_hash, invitation, by_invitation, by_token, language)
