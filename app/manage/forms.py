from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from app.common.choices import select_choices
from app.models import ActivityKind, ActivityStatus, Gender, Modality


def _enum_or_none(enum_class):
    def coerce(value):
        if value in (None, "") or isinstance(value, enum_class):
            return value or None
        return enum_class(value)

    return coerce


class ActivityForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Give the activity a title."), Length(max=500)]
    )
    kind = SelectField(
        "Kind", choices=select_choices(ActivityKind.choices()), coerce=_enum_or_none(ActivityKind)
    )
    status = SelectField(
        "Status",
        choices=select_choices(ActivityStatus.choices()),
        coerce=_enum_or_none(ActivityStatus),
    )
    modality = SelectField(
        "Modality",
        choices=select_choices([("", "Not decided yet"), *Modality.choices()]),
        coerce=_enum_or_none(Modality),
        validate_choice=True,
    )
    starts_on = DateField(
        "Start date", validators=[Optional()], description="Needed once the activity is delivered."
    )
    ends_on = DateField("End date", validators=[Optional()])
    venue = StringField(
        "Venue",
        validators=[Length(max=200)],
        description="City and host administration, or the platform used.",
    )
    experts = IntegerField(
        "Experts",
        default=0,
        validators=[NumberRange(min=0, max=1000, message="Enter a number from 0 to 1000.")],
    )
    accredited_experts = IntegerField(
        "Of whom WCO-accredited experts",
        default=0,
        validators=[NumberRange(min=0, max=1000, message="Enter a number from 0 to 1000.")],
    )
    follow_up_months = StringField(
        "Follow-up waves (months after the end)",
        validators=[Length(max=50)],
        description="For example 6, 12. Leave empty for the office default.",
    )
    members = SelectMultipleField("Host or beneficiary Members", coerce=int, validate_choice=True)
    items = SelectMultipleField("Work-plan items it serves", coerce=int, validate_choice=True)
    submit = SubmitField("Save activity")


def _filter_field(label: str, any_text: str, choices) -> SelectField:
    """A filter's select: "any" first, then the choices; an empty value filters nothing."""
    return SelectField(
        label,
        choices=select_choices([("", any_text), *choices]),
        validators=[Optional()],
        validate_choice=False,
    )


class ActivityFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField("Title or venue contains", validators=[Optional(), Length(max=100)])
    item = SelectField("Work-plan item", validators=[Optional()], validate_choice=False)
    member = SelectField("Member", validators=[Optional()], validate_choice=False)
    kind = _filter_field("Kind", "Any kind", ActivityKind.choices())
    status = _filter_field("Status", "Any status", ActivityStatus.choices())


class PlanFilterForm(FlaskForm):
    """The plan page's filters: GET parameters, so a filtered view can be bookmarked."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    item = SelectField("Work-plan item", validators=[Optional()], validate_choice=False)
    kind = _filter_field("Kind", "Any kind", ActivityKind.choices())
    modality = _filter_field("Modality", "Any modality", Modality.choices())
    status = _filter_field("Status", "Any status", ActivityStatus.choices())


class PlainDateField(DateField):
    """A date whose error says what to type (browsers without a date picker send text)."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(
                f"{valuelist[0][:40]!r} is not a date: write it as year-month-day, "
                "for example 2024-07-01."
            ) from None


class MemberForm(FlaskForm):
    """What administrators may change of a Member administration."""

    name = StringField(
        "Name",
        validators=[DataRequired(message="Give the administration's name."), Length(max=120)],
    )
    is_small_island_economy = BooleanField(
        "Small Island Economy",
        description="Counted among the Small Island Economies of item 3-(k).",
    )
    active = BooleanField(
        "Active Member",
        description="Only active Members are asked the needs assessment, and only they are "
        "meant when the plan names the whole region.",
    )
    joined_on = PlainDateField(
        "Joined on",
        validators=[Optional()],
        description="When only the year is known, give 1 January of that year. Leave empty for "
        "a Member from before the records kept here.",
    )
    submit = SubmitField("Save the Member")


class ParticipantForm(FlaskForm):
    name = StringField(
        "Full name",
        validators=[DataRequired(message="Give the participant's name."), Length(max=200)],
    )
    email = EmailField(
        "Email",
        validators=[
            Optional(),
            Email(message="Enter an email address like name@customs.gov"),
            Length(max=254),
        ],
        description="Used for the evaluation and follow-up surveys.",
    )
    member = SelectField("Member administration", coerce=int, validate_choice=True)
    gender = SelectField(
        "Gender",
        choices=select_choices(Gender.choices()),
        default=Gender.UNDISCLOSED.value,
        coerce=_enum_or_none(Gender),
    )
    position = StringField("Position", validators=[Length(max=200)])
    language = SelectField(
        "Preferred language",
        validate_choice=True,
        default="",
        description="Their personal survey links open in it, and their emails are written in it.",
    )
    submit = SubmitField("Save participant")


class ParticipantImportForm(FlaskForm):
    file = FileField(
        "Participant list (.csv or .xlsx)",
        validators=[
            FileRequired(message="Choose a file to import."),
            FileAllowed(["csv", "xlsx"], message="Upload a .csv or .xlsx file."),
        ],
        description="First row: name, email, member, gender, position. Member is the ISO "
        "code (e.g. FJI) or the name.",
    )
    submit = SubmitField("Import participants")


class RoundForm(FlaskForm):
    version = SelectField("Questionnaire version", coerce=int, validate_choice=True)
    activity = SelectField(
        "Activity",
        coerce=int,
        validate_choice=True,
        description="Required for evaluation and follow-up rounds.",
    )
    plan_year = SelectField(
        "Plan year",
        coerce=int,
        validate_choice=True,
        description="For a needs assessment; an activity's round takes the activity's plan year.",
    )
    title = StringField(
        "Title",
        validators=[Length(max=300)],
        description="Leave empty to name the round after the questionnaire and the activity.",
    )
    opens_on = DateField("Opens on", validators=[DataRequired(message="Give the opening date.")])
    closes_on = DateField("Closes on", validators=[Optional()])
    open_now = BooleanField("Open the round now")
    submit = SubmitField("Create round")


class ExtendRoundForm(FlaskForm):
    closes_on = DateField("New closing date", validators=[DataRequired()])
    submit = SubmitField("Extend")


class CloseRoundForm(FlaskForm):
    """Closing a round asks for a ticked box: a stray click closes nothing."""

    confirm = BooleanField(
        "Yes, stop accepting answers now",
        validators=[DataRequired(message="Tick the box to confirm: the round was not closed.")],
    )
    submit = SubmitField("Close the round")


class RecordNeedsForm(FlaskForm):
    """Staff record the needs assessment of an administration that sent its answers
    another way (email, a call, a paper form)."""

    member = SelectField("Administration", validate_choice=True)
    submit = SubmitField("Record its answers")


class EmailTemplateForm(FlaskForm):
    subject = StringField(
        "Subject", validators=[DataRequired(message="Give a subject."), Length(max=300)]
    )
    body = TextAreaField(
        "Text",
        validators=[DataRequired(message="Write the message."), Length(max=20000)],
        render_kw={"rows": 16},
    )
    submit = SubmitField("Save")


class ActionForm(FlaskForm):
    """A planning action against a finding. The item and the activity are picked from the
    plan year's lists (`app.kpis.post_action_log`); the view checks the picks."""

    decision = TextAreaField(
        "What was decided",
        validators=[DataRequired(message="Write what was decided."), Length(max=5000)],
        render_kw={"rows": 3},
    )
    item = StringField("Work-plan item it changes", validators=[Length(max=600)])
    activity = StringField("Activity it changes", validators=[Length(max=700)])
    submit = SubmitField("Record the action")


DECISION_MISSING = "Choose a decision (Verify, Reject or Back to review): nothing was changed."


class ReviewForm(FlaskForm):
    """The decision on one result (``ids`` empty: the URL names it) or on the ticked ones.
    No decision is preselected; ``confirmed`` is set by the confirmation page."""

    status = RadioField(
        "Decision",
        choices=select_choices(
            [("verified", "Verify"), ("rejected", "Reject"), ("reported", "Back to review")]
        ),
        validators=[
            InputRequired(message=DECISION_MISSING),
            AnyOf(["verified", "rejected", "reported"], message=DECISION_MISSING),
        ],
        validate_choice=False,
    )
    reason = StringField("Reason (required to reject)", validators=[Length(max=2000)])
    ids = SelectMultipleField("Results", coerce=int, validate_choice=False)
    confirmed = HiddenField()
    shown = HiddenField()  # the register's status filter, to go back to
    submit = SubmitField("Review")


class PostActionFilterForm(FlaskForm):
    """The post-action log's filters (GET: a filtered log can be bookmarked)."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    kind = SelectField("Kind of finding", validators=[Optional()], validate_choice=False)
    actioned = SelectField(
        "Actioned",
        choices=select_choices(
            [("", "Actioned or not"), ("yes", "Actioned"), ("no", "Not actioned yet")]
        ),
        validators=[Optional()],
        validate_choice=False,
    )
    member = SelectField("Member", validators=[Optional()], validate_choice=False)
    item = SelectField("Work-plan item", validators=[Optional()], validate_choice=False)


class InviteForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(message="Give their email."), Email(), Length(max=254)],
    )
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role")
    member = SelectField(
        "Administration",
        description="For a contact point: the Member administration they answer for.",
        validate_choice=False,
    )
    language = SelectField(
        "Language of their emails and pages",
        description="They can change it on their account page.",
        validators=[Optional()],
    )
    submit = SubmitField("Send the invitation")


class RoleForm(FlaskForm):
    role = SelectField("Role")
    member = SelectField("Administration", validate_choice=False)
    submit = SubmitField("Change the role")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    actor = SearchField("Who (part of the email)", validators=[Optional(), Length(max=100)])
    action = SearchField(
        "Action starts with", validators=[Optional(), Length(max=64)], description="e.g. user."
    )
    object_type = SearchField("Object", validators=[Optional(), Length(max=64)])
    object_id = SearchField("Object number", validators=[Optional(), Length(max=64)])
