"""Respondent pages: personal links, a round's shared link, its sections, the submit.

A personal link (/i/<token>) binds the browser session to its invitation, then redirects
to a URL without the token. On the shared link the respondent is known by a resume token
kept in their (signed) session cookie; the database stores only its hash. In a round that
is not anonymous the invitation points to its response, so the personal link resumes it
on any device. Every state-changing request is a POST with a CSRF token.
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.common import clock
from app.extensions import db, limiter
from app.journeys.answering import find_respondent
from app.journeys.invitations import find_invitation, mark_opened
from app.models import Invitation, Response, ResponseStatus, Role, SurveyRound
from app.ops.metrics import SUBMISSIONS
from app.surveys.model import PICKER_TYPES, Definition, PickerOptions, Section
from app.surveys.responses import (
    AlreadySubmitted,
    evaluation_action_plan,
    load_values,
    lock_draft,
    reachable_section,
    record_section,
    start_response,
)
from app.surveys.rounds import picker_options
from app.surveys.section_state import SectionState, display_section, receive_section
from app.surveys.versions import definition_by_id
from app.web.i18n import choose_language, round_languages, set_round_title
from app.web.respondent import (
    bind_invitation,
    bound_invitations,
    remember_resume_token,
    resume_tokens,
)

bp = Blueprint("respond", __name__, url_prefix="/s")
links = Blueprint("links", __name__)


@bp.after_request
def no_store(response):
    # The back button must show the current state (e.g. "already submitted"), not a copy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _personal_link_limit() -> str:
    return current_app.config["RATELIMIT_PERSONAL_LINK"]


@links.route("/i/<token>")
@limiter.limit(_personal_link_limit)
def personal_link(token: str):
    invitation = find_invitation(db.session, token)
    if invitation is None:
        response = make_response(
            render_template(
                "errors/error.html",
                code=404,
                title=gettext("This link does not work"),
                message=gettext(
                    "Check that you opened the whole link from your email. If it still does "
                    "not work, write to %(contact)s.",
                    contact=current_app.config["CONTACT_EMAIL"],
                ),
            ),
            404,
        )
    elif invitation.submitted_at is not None:
        response = make_response(_already_submitted(invitation.round))
    elif not invitation.round.accepts_answers(clock.today()):
        response = make_response(_closed_page(invitation.round))
    elif invitation.participant_id is None and not _speaks_for(invitation):
        # An administration's invitation (the needs assessment) is answered by its contact
        # points, logged in: the link leads to the login, then to their portal.
        flash(
            gettext("Log in as your administration's contact point to answer this survey."),
            "info",
        )
        response = redirect(url_for("auth.login", next=url_for("portal.home")))
    else:
        # The token leaves the address bar: the survey continues on a URL without it.
        response = redirect(url_for("respond.landing", slug=invitation.round.slug))
        bind_invitation(invitation)
        mark_opened(invitation)
        db.session.commit()
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _speaks_for(invitation: Invitation) -> bool:
    """The logged-in user is a contact point of the invitation's administration, or staff
    recording its answers (the round page's "Record its answers")."""
    if not current_user.is_authenticated:
        return False
    if current_user.is_staff:
        return True
    return (
        current_user.role is Role.CONTACT_POINT and current_user.member_id == invitation.member_id
    )


def _respondent(slug: str) -> tuple[SurveyRound, Invitation | None, Response | None, Definition]:
    """The round, the invitation this browser answers for, the response it is answering
    and the questionnaire, from one query (the parsed questionnaire is kept in memory).

    The invitation is a participant's, bound by their personal link, or an
    administration's, only while its contact point is logged in. A round without a shared
    link is answered only through an invitation (for the needs assessment, only while its
    contact point is logged in): without one, a draft kept in the session cookie opens
    nothing. In a round that is not anonymous, the invitation points to its response.
    """
    found = find_respondent(db.session, slug, bound_invitations(), resume_tokens())
    if found is None:
        abort(404)
    survey_round, invitation = found.round, found.invitation
    if invitation is not None and invitation.participant_id is None and not _speaks_for(invitation):
        invitation = None
    if invitation is not None and not survey_round.anonymous:
        response = found.by_invitation
    elif invitation is None and not survey_round.open_link:
        response = None
    else:
        response = found.by_token
    definition = definition_by_id(db.session, survey_round.version_id, found.content_hash)
    # The page's language, for the questionnaire's texts and the interface alike.
    lang = choose_language(
        round_languages(definition.complete_languages),
        found.language if invitation is not None else None,
    )
    set_round_title(survey_round, _title_in(survey_round, definition, lang))
    return survey_round, invitation, response, definition


# The title given to a follow-up wave's round (app/journeys/scheduling.py).
_FOLLOW_UP_TITLE = re.compile(r"^Follow-up \((\d+) months\)(.*)$", re.DOTALL)


def _title_in(survey_round: SurveyRound, definition: Definition, lang: str) -> str:
    """The round's title in ``lang``: a title made from the questionnaire's (the default,
    e.g. "Workshop evaluation: <activity>") starts with the questionnaire's title in it, a
    follow-up wave's with "Follow-up (6 months)" in it; a title staff wrote stays as is."""
    title = survey_round.title
    english, translated = definition.title.get("en", ""), definition.title.get(lang)
    if lang == "en":
        return title
    wave = _FOLLOW_UP_TITLE.match(title)
    if wave:
        head, about = gettext("Follow-up (%(months)s months)", months=wave[1]), wave[2]
    elif translated and english and title.startswith(english):
        head, about = translated, title[len(english) :]
    else:
        return title
    if about.startswith(": "):
        return gettext("%(survey)s: %(about)s", survey=head, about=about[2:])
    return head + about


def _lang(definition: Definition) -> str:
    """The language :func:`_respondent` chose for this request's pages."""
    return g.get("lang") or "en"


def _closed_page(survey_round: SurveyRound):
    today = clock.today()
    not_yet = survey_round.opens_on > today and survey_round.status.value != "closed"
    return render_template(
        "respond/closed.html",
        round=survey_round,
        not_yet=not_yet,
        contact=current_app.config["CONTACT_EMAIL"],
    ), 403


def _already_submitted(survey_round: SurveyRound):
    return render_template("respond/already_submitted.html", round=survey_round), 200


def _invitation_only(survey_round: SurveyRound):
    return render_template(
        "respond/invitation_only.html",
        round=survey_round,
        contact=current_app.config["CONTACT_EMAIL"],
    ), 403


@bp.route("/<slug>")
def landing(slug: str):
    survey_round, invitation, response, definition = _respondent(slug)
    if (response is not None and response.status is ResponseStatus.SUBMITTED) or (
        invitation is not None and invitation.submitted_at is not None
    ):
        return _already_submitted(survey_round)
    if not survey_round.accepts_answers(clock.today()):
        return _closed_page(survey_round)
    if invitation is None and not survey_round.open_link:
        return _invitation_only(survey_round)
    return render_template(
        "respond/landing.html",
        round=survey_round,
        definition=definition,
        lang=_lang(definition),
        response=response,
    )


def _start_limit() -> str:
    return current_app.config["RATELIMIT_OPEN_LINK_START"]


def _post_limit() -> str:
    return current_app.config["RATELIMIT_RESPONDENT_POST"]


@bp.route("/<slug>/start", methods=["POST"])
@limiter.limit(_start_limit)
def start(slug: str):
    survey_round, invitation, response, _ = _respondent(slug)
    if not survey_round.accepts_answers(clock.today()):
        return _closed_page(survey_round)
    if invitation is None and not survey_round.open_link:
        return _invitation_only(survey_round)
    if invitation is not None and invitation.submitted_at is not None:
        return _already_submitted(survey_round)
    if response is None:
        response, token = start_response(db.session, survey_round, invitation)
        remember_resume_token(survey_round, token)
        db.session.commit()
        return redirect(url_for("respond.section", slug=slug, index=0))
    if response.status is ResponseStatus.SUBMITTED:
        return _already_submitted(survey_round)
    return redirect(url_for("respond.section", slug=slug, index=response.current_section))


def _pickers_for(
    survey_round: SurveyRound, section: Section, invitation: Invitation | None
) -> PickerOptions:
    """The picker choices the section asks for (none are read for a section without a
    picker); an administration's own invitation can only answer for itself."""
    kinds = {
        q.type
        for question in section.questions
        for q in (question, *question.questions)
        if q.type in PICKER_TYPES
    }
    if not kinds:
        return PickerOptions()
    pickers = picker_options(db.session, survey_round.plan_year_id, kinds)
    if invitation is not None and invitation.participant_id is None:
        pickers.members = [(invitation.member.code, invitation.member.name)]
    return pickers


def _defaults(section: Section, invitation: Invitation | None) -> dict:
    """Pre-fill the respondent's Member where the invitation tells it."""
    if invitation is None:
        return {}
    return {
        q.key: invitation.member.code for q in section.questions if q.kpi == "respondent_member"
    }


@bp.route("/<slug>/<int:index>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def section(slug: str, index: int):
    survey_round, invitation, response, definition = _respondent(slug)
    if response is None:
        return redirect(url_for("respond.landing", slug=slug))
    if response.status is ResponseStatus.SUBMITTED or (
        invitation is not None and invitation.submitted_at is not None
    ):
        return _already_submitted(survey_round)
    if not survey_round.accepts_answers(clock.today()):
        return _closed_page(survey_round)
    if request.method == "GET":
        stored = load_values(db.session, response, definition)
        allowed = reachable_section(definition, response.current_section, stored, index)
        if allowed != index:
            return redirect(url_for("respond.section", slug=slug, index=allowed))
        current = definition.sections[index]
        state = display_section(
            definition,
            current,
            _lang(definition),
            _pickers_for(survey_round, current, invitation),
            stored,
            defaults=_defaults(current, invitation),
            check=bool(request.args.get("check")),
        )
        return _render(survey_round, state, invitation)
    return _receive(survey_round, invitation, response, definition, index)


def _receive(
    survey_round: SurveyRound,
    invitation: Invitation | None,
    response: Response,
    definition: Definition,
    index: int,
):
    """A posted section: checked, then saved with the respondent's step taken."""
    slug = survey_round.slug
    # The draft is locked and read once: what the checks below see is what is saved.
    draft = lock_draft(db.session, response.id, definition)
    if draft.status is not ResponseStatus.DRAFT:
        return _already_submitted(survey_round)
    allowed = reachable_section(definition, draft.current_section, draft.values, index)
    if allowed != index:
        return redirect(url_for("respond.section", slug=slug, index=allowed))
    current = definition.sections[index]
    action = request.form.get("action", "next")
    state = receive_section(
        definition,
        current,
        _lang(definition),
        _pickers_for(survey_round, current, invitation),
        draft.values,
        request.form,
        action,
    )
    if not state.accepted:
        return _render(survey_round, state, invitation, 400 if state.errors else 200)
    kind = survey_round.kind.value
    try:
        outcome = record_section(
            db.session, response, definition, current, state.answers, action, invitation, draft
        )
        db.session.commit()
    except AlreadySubmitted:
        db.session.rollback()
        return _already_submitted(survey_round)
    except IntegrityError:
        # Another tab submitted this response at the same moment (SQLite has no row
        # lock): nothing of theirs is lost, and the respondent can send this page again.
        db.session.rollback()
        db.session.refresh(response)
        if response.status is ResponseStatus.SUBMITTED:
            return _already_submitted(survey_round)
        flash(
            gettext(
                "Your answers were being saved from another window. Check this page and send "
                "it again."
            ),
            "error",
        )
        return redirect(url_for("respond.section", slug=slug, index=index))
    if outcome.submitted:
        SUBMISSIONS.labels(kind).inc()
        return redirect(url_for("respond.thanks", slug=slug))
    if outcome.missing:
        flash(gettext("Some required answers are missing: they are marked below."), "error")
        return redirect(url_for("respond.section", slug=slug, index=outcome.target, check=1))
    return redirect(url_for("respond.section", slug=slug, index=outcome.target))


def _render(
    survey_round: SurveyRound, state: SectionState, invitation: Invitation | None, status=200
):
    action_plan = (
        evaluation_action_plan(db.session, invitation) if state.shows_action_plan else None
    )
    return render_template(
        "respond/section.html", round=survey_round, state=state, action_plan=action_plan
    ), status


@bp.route("/<slug>/thanks")
def thanks(slug: str):
    survey_round, _, response, definition = _respondent(slug)
    if response is None or response.status is not ResponseStatus.SUBMITTED:
        return redirect(url_for("respond.landing", slug=slug))
    return render_template(
        "respond/thanks.html", round=survey_round, definition=definition, lang=_lang(definition)
    )
