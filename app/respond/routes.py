"""Respondent pages: personal links, a round's shared link, its sections, the review of
the answers and the final submit.

A personal link (/i/<token>) binds the browser session to its invitation, then redirects
to a URL without the token. On the shared link the respondent is known by a resume token
kept in their (signed) session cookie; the database stores only its hash. In a round that
is not anonymous the invitation points to its response, so the personal link resumes it
on any device. Every state-changing request is a POST with a CSRF token, answered with a
redirect (Post/Redirect/Get), also when the answers have a mistake: the post is kept in
the session and the section's page shows it again with its errors, so Back and Refresh
never send a form twice.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app.common import clock
from app.extensions import db, limiter
from app.journeys.invitations import find_invitation, mark_opened
from app.models import Invitation, Response, ResponseStatus, SurveyRound
from app.ops.metrics import SUBMISSIONS
from app.respond import copies  # noqa: F401  (the thank-you page's copies, on `bp`)
from app.respond.pages import (
    already_submitted,
    bp,
    closed_page,
    coming_back,
    invitation_only,
    page_lang,
    respondent,
    speaks_for,
    standing,
)
from app.surveys.model import PICKER_TYPES, Definition, PickerOptions, Section
from app.surveys.readback import picker_kinds, read_answers
from app.surveys.responses import (
    AlreadySubmitted,
    evaluation_action_plan,
    load_values,
    lock_draft,
    reachable_section,
    record_section,
    start_response,
    submit_draft,
)
from app.surveys.rounds import picker_options
from app.surveys.section_state import SectionState, display_section, receive_section
from app.web.respondent import bind_invitation, remember_resume_token
from app.web.settings import journey_settings

__all__ = ["bp", "links"]

links = Blueprint("links", __name__)

# The session key of a section post that was not saved (a mistake, or a repeat entry
# added or removed): {round id: {"response", "index", "action", "form": [[name, value]]}}.
POSTED_KEY = "survey_posted"
# A session cookie must stay under 4 KB; a post too large to keep in it (long texts with a
# mistake, which the pages' maxlength makes rare) is shown at once, as before PRG.
COOKIE_LIMIT = 3800


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
        response = make_response(already_submitted(invitation.round))
    elif not invitation.round.accepts_answers(clock.today()):
        response = make_response(closed_page(invitation.round))
    elif invitation.participant_id is None and not speaks_for(invitation):
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


@bp.route("/<slug>")
def landing(slug: str):
    survey_round, invitation, response, definition = respondent(slug)
    if (response is not None and response.status is ResponseStatus.SUBMITTED) or (
        invitation is not None and invitation.submitted_at is not None
    ):
        return already_submitted(survey_round)
    if not survey_round.accepts_answers(clock.today()):
        return closed_page(survey_round)
    if invitation is None and not survey_round.open_link:
        return invitation_only(survey_round)
    return render_template(
        "respond/landing.html",
        round=survey_round,
        definition=definition,
        lang=page_lang(definition),
        response=response,
    )


def _start_limit() -> str:
    return current_app.config["RATELIMIT_OPEN_LINK_START"]


def _post_limit() -> str:
    return current_app.config["RATELIMIT_RESPONDENT_POST"]


def _to_landing(slug: str):
    """After a POST that cannot go on (closed, already submitted, by invitation): the
    landing page, which says why."""
    return redirect(url_for("respond.landing", slug=slug))


@bp.route("/<slug>/start", methods=["POST"])
@limiter.limit(_start_limit)
def start(slug: str):
    survey_round, invitation, response, definition = respondent(slug)
    if (
        not survey_round.accepts_answers(clock.today())
        or (invitation is None and not survey_round.open_link)
        or (invitation is not None and invitation.submitted_at is not None)
    ):
        return _to_landing(slug)
    if response is None:
        response, token = start_response(db.session, survey_round, invitation)
        remember_resume_token(survey_round, token)
        db.session.commit()
        return redirect(url_for("respond.section", slug=slug, index=0))
    if response.status is ResponseStatus.SUBMITTED:
        return _to_landing(slug)
    if response.current_section >= len(definition.sections):
        return redirect(url_for("respond.review", slug=slug))
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


def _returning() -> bool:
    """The section was opened from the review ("Change"): saving it goes back there."""
    return (request.values.get("return") or "") == "review"


def _section_url(slug: str, index: int, **args) -> str:
    if _returning():
        args["return"] = "review"
    return url_for("respond.section", slug=slug, index=index, **args)


def _kept_post(survey_round: SurveyRound, response: Response, index: int) -> dict | None:
    kept = (session.get(POSTED_KEY) or {}).get(str(survey_round.id))
    if kept and kept.get("response") == response.id and kept.get("index") == index:
        return kept
    return None


def _keep_post(survey_round: SurveyRound, response: Response, index: int, action: str) -> bool:
    """Keep the section's post in the session for the page after the redirect; False when
    it does not fit in the session cookie."""
    form = [[k, v] for k, v in request.form.items(multi=True) if k not in ("csrf_token", "return")]
    posted = dict(session.get(POSTED_KEY) or {})
    posted[str(survey_round.id)] = {
        "response": response.id,
        "index": index,
        "action": action,
        "form": form,
    }
    serializer = current_app.session_interface.get_signing_serializer(current_app)  # type: ignore[attr-defined]
    if len(serializer.dumps({**dict(session), POSTED_KEY: posted})) > COOKIE_LIMIT:
        _forget_post(survey_round)
        return False
    session[POSTED_KEY] = posted
    return True


def _forget_post(survey_round: SurveyRound) -> None:
    posted = session.get(POSTED_KEY) or {}
    if str(survey_round.id) in posted:
        session[POSTED_KEY] = {k: v for k, v in posted.items() if k != str(survey_round.id)}


@bp.route("/<slug>/<int:index>", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def section(slug: str, index: int):
    survey_round, invitation, response, definition = respondent(slug)
    if response is None:
        return redirect(url_for("respond.landing", slug=slug))
    if response.status is ResponseStatus.SUBMITTED or (
        invitation is not None and invitation.submitted_at is not None
    ):
        return _to_landing(slug) if request.method == "POST" else already_submitted(survey_round)
    if not survey_round.accepts_answers(clock.today()):
        return _to_landing(slug) if request.method == "POST" else closed_page(survey_round)
    if request.method == "POST":
        return _receive(survey_round, invitation, response, definition, index)
    stored = load_values(db.session, response, definition)
    allowed = reachable_section(definition, response.current_section, stored, index)
    if allowed != index:
        return redirect(url_for("respond.section", slug=slug, index=allowed))
    current = definition.sections[index]
    lang = page_lang(definition)
    pickers = _pickers_for(survey_round, current, invitation)
    kept = _kept_post(survey_round, response, index)
    if kept is not None:
        # The post that was not saved, with its mistakes marked again.
        state = receive_section(
            definition, current, lang, pickers, stored, MultiDict(kept["form"]), kept["action"]
        )
    else:
        state = display_section(
            definition,
            current,
            lang,
            pickers,
            stored,
            defaults=_defaults(current, invitation),
            check=bool(request.args.get("check")),
        )
    return _render(survey_round, state, invitation)


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
        return _to_landing(slug)
    allowed = reachable_section(definition, draft.current_section, draft.values, index)
    if allowed != index:
        return redirect(url_for("respond.section", slug=slug, index=allowed))
    current = definition.sections[index]
    action = request.form.get("action", "next")
    if action == "submit":
        action = "next"  # the final submit is made from the review of the answers
    state = receive_section(
        definition,
        current,
        page_lang(definition),
        _pickers_for(survey_round, current, invitation),
        draft.values,
        request.form,
        action,
    )
    if not state.accepted:
        db.session.rollback()  # the lock ends here
        if _keep_post(survey_round, response, index, action):
            return redirect(_section_url(slug, index))
        return _render(survey_round, state, invitation, 400 if state.errors else 200)
    _forget_post(survey_round)
    try:
        outcome = record_section(
            db.session, response, definition, current, state.answers, action, invitation, draft
        )
        db.session.commit()
    except AlreadySubmitted:
        db.session.rollback()
        return _to_landing(slug)
    except IntegrityError:
        # Another tab submitted this response at the same moment (SQLite has no row
        # lock): nothing of theirs is lost, and the respondent can send this page again.
        db.session.rollback()
        db.session.refresh(response)
        if response.status is ResponseStatus.SUBMITTED:
            return _to_landing(slug)
        flash(
            gettext(
                "Your answers were being saved from another window. Check this page and send "
                "it again."
            ),
            "error",
        )
        return redirect(url_for("respond.section", slug=slug, index=index))
    if action == "save":
        return redirect(url_for("respond.saved", slug=slug, index=index))
    if outcome.missing:
        flash(gettext("Some required answers are missing: they are marked below."), "error")
        return redirect(url_for("respond.section", slug=slug, index=outcome.target, check=1))
    if outcome.review or (_returning() and action == "next"):
        return redirect(url_for("respond.review", slug=slug))
    return redirect(url_for("respond.section", slug=slug, index=outcome.target))


def _render(
    survey_round: SurveyRound, state: SectionState, invitation: Invitation | None, status=200
):
    action_plan = (
        evaluation_action_plan(db.session, invitation) if state.shows_action_plan else None
    )
    who = standing(survey_round, invitation)
    return render_template(
        "respond/section.html",
        round=survey_round,
        state=state,
        action_plan=action_plan,
        returning=_returning(),
        coming_back=coming_back(who, survey_round),
        known=who.known,
    ), status


def _review_pickers(survey_round: SurveyRound, definition: Definition, invitation):
    kinds = picker_kinds(definition)
    if not kinds:
        return PickerOptions()
    pickers = picker_options(db.session, survey_round.plan_year_id, kinds)
    if invitation is not None and invitation.participant_id is None:
        pickers.members = [(invitation.member.code, invitation.member.name)]
    return pickers


@bp.route("/<slug>/review", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def review(slug: str):
    """Check your answers: every visible answer by section, each with a link to change
    it; the final submit is made from here."""
    survey_round, invitation, response, definition = respondent(slug)
    if response is None:
        return redirect(url_for("respond.landing", slug=slug))
    if response.status is ResponseStatus.SUBMITTED or (
        invitation is not None and invitation.submitted_at is not None
    ):
        return _to_landing(slug) if request.method == "POST" else already_submitted(survey_round)
    if not survey_round.accepts_answers(clock.today()):
        return _to_landing(slug) if request.method == "POST" else closed_page(survey_round)
    if request.method == "POST":
        return _submit(survey_round, invitation, response, definition)
    if response.current_section < len(definition.sections):
        return redirect(url_for("respond.section", slug=slug, index=response.current_section))
    values = load_values(db.session, response, definition)
    lang = page_lang(definition)
    sections = read_answers(
        definition, values, lang, _review_pickers(survey_round, definition, invitation)
    )
    return render_template(
        "respond/review.html",
        round=survey_round,
        lang=lang,
        sections=sections,
        coming_back=coming_back(standing(survey_round, invitation), survey_round),
    )


def _submit(
    survey_round: SurveyRound,
    invitation: Invitation | None,
    response: Response,
    definition: Definition,
):
    slug, kind = survey_round.slug, survey_round.kind.value  # read before the commit expires them
    try:
        missing = submit_draft(db.session, response, definition, invitation)
        db.session.commit()
    except (AlreadySubmitted, IntegrityError):
        db.session.rollback()
        return _to_landing(slug)
    if missing:
        flash(gettext("Some required answers are missing: they are marked below."), "error")
        return redirect(url_for("respond.section", slug=slug, index=missing[0][0], check=1))
    SUBMISSIONS.labels(kind).inc()
    return redirect(url_for("respond.thanks", slug=slug))


@bp.route("/<slug>/saved/<int:index>")
def saved(slug: str, index: int):
    """After "Save and finish later": how to come back, exactly."""
    survey_round, invitation, response, definition = respondent(slug)
    if response is None or response.status is not ResponseStatus.DRAFT:
        return redirect(url_for("respond.landing", slug=slug))
    who = standing(survey_round, invitation)
    return render_template(
        "respond/saved.html",
        round=survey_round,
        lang=page_lang(definition),
        who=who,
        index=index,
        coming_back=coming_back(who, survey_round),
        # From BASE_URL, as in emails, never from the request's Host header.
        address=journey_settings().base_url + url_for("respond.landing", slug=slug),
    )
