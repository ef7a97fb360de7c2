"""The answers PDF as a download, for the respondent's copy and a contact point's
needs assessment."""

from __future__ import annotations

from flask import current_app, make_response, render_template
from flask_babel import gettext

from app.common.pdf import FontsMissing
from app.surveys.answers_pdf import answers_pdf
from app.surveys.readback import ReadSection


def answers_pdf_response(title: str, lines: list[str], sections: list[ReadSection], filename: str):
    try:
        pdf = answers_pdf(
            title,
            lines,
            sections,
            gettext("Page {page} of {total}"),
            current_app.config["PDF_FONT_DIR"],
        )
    except FontsMissing:
        current_app.logger.exception("PDF fonts missing")
        return render_template(
            "errors/error.html",
            code=503,
            title=gettext("The PDF cannot be made just now"),
            message=gettext(
                "Print the page of your answers instead, or try again later: the team has "
                "been told."
            ),
        ), 503
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
