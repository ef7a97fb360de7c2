from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange

from app.common.choices import select_choices

PASSWORD_HINT = (
    "At least 12 characters, not a common password: a few unrelated words make a good one."
)


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(message="Enter your email."), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(message="Enter the code."), Length(max=32)],
        description="The six digits your authenticator app shows, or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Continue")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(message="Enter your email."), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    submit = SubmitField("Send me a link")


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(message="Choose a password."), Length(max=200)],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set the password")


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired(message="Enter your current password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Change the password")


class EnableTwoFactorForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        "Code from the app",
        validators=[DataRequired(message="Enter the six digits the app shows."), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Turn on two-factor login")


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Confirm")


class NewTokenForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired(message="Name the token after what uses it."), Length(max=100)],
        description="What uses it, e.g. 'Annual Report spreadsheet'.",
    )
    scope = SelectField(
        "Access",
        choices=select_choices(
            [("read", "Read only (reports, exports)"), ("write", "Read and write")]
        ),
    )
    days = IntegerField(
        "Valid for (days)",
        default=90,
        validators=[NumberRange(min=1, max=366, message="From 1 to 366 days.")],
    )
    submit = SubmitField("Make the token")
