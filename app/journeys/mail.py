"""The survey journeys' message texts: the ones staff can edit (one per kind of message
and language), what they may contain, and filling them in (sending is `app.common.mail`).
A participant's messages are written in their preferred language when the office writes
messages in it (see `message_language`), otherwise in English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common.mail import to_html
from app.models import EmailTemplate, MessageKind

DEFAULT_TEMPLATES: dict[MessageKind, tuple[str, str]] = {
    MessageKind.INVITATION: (
        "{{ survey }}: your answers, please",
        "Dear {{ name }},\n\n"
        "{% if activity %}Thank you for taking part in {{ activity }}. {% endif %}"
        "Please answer the {{ survey }} before {{ closes_on }}. It takes a few minutes:\n\n"
        "{{ link }}\n\n"
        "The link is personal: please do not forward it. You can stop and continue later "
        "with the same link{% if anonymous %}, on the same device and in the same browser "
        "(your answers are anonymous: they are not kept with your link){% endif %}.\n\n"
        "With thanks,\nROCB A/P\n",
    ),
    MessageKind.REMINDER: (
        "Reminder: {{ survey }}",
        "Dear {{ name }},\n\n"
        "We have not received your answers to the {{ survey }} yet"
        "{% if activity %} about {{ activity }}{% endif %}. It closes on {{ closes_on }}.\n\n"
        "{{ link }}\n\n"
        "If you have already answered, thank you, and please ignore this message.\n\n"
        "ROCB A/P\n",
    ),
    MessageKind.CLOSING_SOON: (
        "Closing on {{ closes_on }}: {{ survey }}",
        "Dear {{ name }},\n\n"
        "The {{ survey }} closes on {{ closes_on }}. Your answers help us plan the next "
        "workshops for your administration.\n\n{{ link }}\n\nROCB A/P\n",
    ),
    MessageKind.ESCALATION: (
        "{{ survey }}: {{ missing | length }} from {{ member }} have not answered",
        "Dear {{ name }},\n\n"
        "As the contact point of {{ member }}, could you encourage these participants of "
        "{{ activity }} to answer the {{ survey }} before {{ closes_on }}? They have "
        "received the invitation and reminders:\n\n"
        "{% for person in missing %}- {{ person }}\n{% endfor %}\n"
        "Thank you for your help.\nROCB A/P\n",
    ),
}
# The default texts in other languages (staff can edit each language's text; a language
# without a default nor an edited text is written in English).
TRANSLATED_DEFAULTS: dict[str, dict[MessageKind, tuple[str, str]]] = {
    "fr": {
        MessageKind.INVITATION: (
            "{{ survey }} : vos réponses, s'il vous plaît",
            "Bonjour {{ name }},\n\n"
            "{% if activity %}Merci d'avoir participé à {{ activity }}. {% endif %}"
            "Merci de répondre au questionnaire « {{ survey }} » avant le {{ closes_on }}. "
            "Cela prend quelques minutes :\n\n"
            "{{ link }}\n\n"
            "Ce lien est personnel : merci de ne pas le transférer. Vous pouvez vous "
            "arrêter et reprendre plus tard avec le même lien.\n\n"
            "Avec nos remerciements,\nROCB A/P\n",
        ),
        MessageKind.REMINDER: (
            "Rappel : {{ survey }}",
            "Bonjour {{ name }},\n\n"
            "Nous n'avons pas encore reçu vos réponses au questionnaire « {{ survey }} »"
            "{% if activity %} sur {{ activity }}{% endif %}. Il ferme le {{ closes_on }}.\n\n"
            "{{ link }}\n\n"
            "Si vous avez déjà répondu, merci, et veuillez ignorer ce message.\n\n"
            "ROCB A/P\n",
        ),
        MessageKind.CLOSING_SOON: (
            "Fermeture le {{ closes_on }} : {{ survey }}",
            "Bonjour {{ name }},\n\n"
            "Le questionnaire « {{ survey }} » ferme le {{ closes_on }}. Vos réponses nous "
            "aident à préparer les prochains ateliers pour votre administration.\n\n"
            "{{ link }}\n\nROCB A/P\n",
        ),
        MessageKind.ESCALATION: (
            "{{ survey }} : {{ missing | length }} personne(s) de {{ member }} n'ont pas répondu",
            "Bonjour {{ name }},\n\n"
            "En tant que point de contact de {{ member }}, pourriez-vous encourager ces "
            "participants de {{ activity }} à répondre au questionnaire « {{ survey }} » "
            "avant le {{ closes_on }} ? Ils ont reçu l'invitation et les rappels :\n\n"
            "{% for person in missing %}- {{ person }}\n{% endfor %}\n"
            "Merci de votre aide.\nROCB A/P\n",
        ),
    },
}
# What a date placeholder says when the round has no closing date, by language.
NO_CLOSING_DATE = {"en": "the closing date", "fr": "la date de clôture"}
# The placeholders each kind of message can use (shown on the editing page).
PLACEHOLDERS = {
    MessageKind.INVITATION: ["name", "survey", "activity", "closes_on", "link", "anonymous"],
    MessageKind.REMINDER: ["name", "survey", "activity", "closes_on", "link"],
    MessageKind.CLOSING_SOON: ["name", "survey", "activity", "closes_on", "link"],
    MessageKind.ESCALATION: ["name", "member", "survey", "activity", "closes_on", "missing"],
}
_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
# What a message text may use besides its placeholders: conditions, comparisons, a loop
# over a list placeholder ("missing") and a few filters. Nothing that computes (no calls,
# arithmetic, ranges or nested loops), so that filling in a text stays small and quick
# whatever a staff member writes.
ALLOWED_FILTERS = {"length", "upper", "lower", "title", "capitalize", "trim", "default"}
MAX_DEPTH = 12  # nested conditions and expressions
MAX_OUTPUT = 50_000  # characters of a filled-in text
LIST_PLACEHOLDERS = {"missing"}
_ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.For,
    nodes.Filter,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.CondExpr,
)


class TemplateProblem(ValueError):
    pass


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


def default_template(kind: MessageKind, language: str = "en") -> tuple[str, str]:
    """The text a language starts from: its translated default, else the English one."""
    return TRANSLATED_DEFAULTS.get(language, {}).get(kind) or DEFAULT_TEMPLATES[kind]


def has_default(language: str) -> bool:
    return language == "en" or language in TRANSLATED_DEFAULTS


def _stored(session: Session, kind: MessageKind, language: str) -> EmailTemplate | None:
    return session.scalar(
        select(EmailTemplate).where(EmailTemplate.kind == kind, EmailTemplate.language == language)
    )


def template_for(session: Session, kind: MessageKind, language: str = "en") -> tuple[str, str]:
    """The text of a kind of message in a language: the one staff saved for it, else the
    language's default; for a language with neither, the English text."""
    stored = _stored(session, kind, language)
    if stored is not None:
        return stored.subject, stored.body
    if language != "en" and not has_default(language):
        return template_for(session, kind, "en")
    return default_template(kind, language)


def render(subject: str, body: str, context: dict[str, Any]) -> Rendered:
    """Render a message in a sandbox (staff write these texts). The HTML part is the text,
    escaped, in paragraphs, with links made clickable."""
    try:
        subject_text = " ".join(_environment.from_string(subject).render(context).split())
        text = _environment.from_string(body).render(context)
    except (TemplateError, ArithmeticError, TypeError, ValueError, SyntaxError) as error:
        raise TemplateProblem(f"the text cannot be filled in: {error}") from None
    except (RecursionError, MemoryError):
        raise TemplateProblem("the text is nested too deeply to be filled in") from None
    if len(text) > MAX_OUTPUT:
        raise TemplateProblem(f"filled in, the text is longer than {MAX_OUTPUT:,} characters")
    return Rendered(subject_text[:300], text, to_html(text))


def check_template(kind: MessageKind, subject: str, body: str) -> None:
    """Refuse a text that cannot be filled in (unknown placeholder, bad syntax) or that
    uses more than placeholders, conditions and the list loop (see ALLOWED_FILTERS)."""
    for part, source in (("subject", subject), ("text", body)):
        _check_constructs(part, source)
    sample: dict[str, Any] = dict.fromkeys(PLACEHOLDERS[kind], "x")
    sample["missing"] = ["A. Participant"]
    render(subject, body, sample)


def _check_constructs(part: str, source: str) -> None:
    try:
        tree = _environment.parse(source)
        _check_node(part, tree, loop_depth=0)
    except TemplateError as error:
        raise TemplateProblem(f"the {part} cannot be read: {error}") from None
    except (RecursionError, SyntaxError, MemoryError):
        raise TemplateProblem(f"the {part} is nested too deeply") from None


def _check_node(part: str, node: nodes.Node, loop_depth: int, depth: int = 0) -> None:
    line = getattr(node, "lineno", 1)
    if depth > MAX_DEPTH * 3:  # each condition or filter adds a few levels of nodes
        raise TemplateProblem(f"line {line} of the {part}: conditions nested too deeply")
    if not isinstance(node, _ALLOWED_NODES):
        raise TemplateProblem(
            f"line {line} of the {part}: {type(node).__name__.lower()} is not allowed in a "
            "message text (use placeholders, {% if %} and {% for person in missing %})"
        )
    if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
        raise TemplateProblem(
            f"line {line} of the {part}: the filter {node.name!r} is not allowed "
            f"(allowed: {', '.join(sorted(ALLOWED_FILTERS))})"
        )
    if isinstance(node, nodes.Filter) and not all(
        isinstance(arg, nodes.Const) for arg in [*node.args, *(k.value for k in node.kwargs)]
    ):
        raise TemplateProblem(
            f"line {line} of the {part}: a filter's value must be written out, e.g. "
            "default('a participant')"
        )
    if isinstance(node, nodes.For):
        if loop_depth or not (
            isinstance(node.iter, nodes.Name) and node.iter.name in LIST_PLACEHOLDERS
        ):
            raise TemplateProblem(
                f"line {line} of the {part}: a loop may only go over "
                f"{', '.join(sorted(LIST_PLACEHOLDERS))}, and not inside another loop"
            )
        loop_depth += 1
    for child in node.iter_child_nodes():
        _check_node(part, child, loop_depth, depth + 1)


def save_template(
    session: Session, kind: MessageKind, subject: str, body: str, language: str = "en"
) -> None:
    check_template(kind, subject, body)
    stored = _stored(session, kind, language)
    if stored is None:
        stored = EmailTemplate(kind=kind, language=language)
        session.add(stored)
    stored.subject, stored.body = subject.strip(), body
    session.flush()
