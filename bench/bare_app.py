"""The baseline of bench/respond.py: a bare Flask + SQLAlchemy app, written the way a
minimal one is (Flask-SQLAlchemy, one model), that stores one evaluation's answers with
one POST: the answer rows added to the session and committed (one INSERT of all of them).
Same database, same engine options, same gunicorn settings and the same meter as the
application.

    gunicorn --config python:app.ops.gunicorn_conf --pythonpath bench bare_app:app
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal

from cpu_meter import CpuMeter
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Numeric, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from config import normalise_database_url


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
metadata = Base.metadata


class BareAnswer(db.Model):
    __tablename__ = "bare_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_key: Mapped[str] = mapped_column(String(64), index=True)
    question_key: Mapped[str] = mapped_column(String(64))
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    value_choice: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


flask_app = Flask(__name__)
flask_app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
    os.environ.get("DATABASE_URL", "sqlite://")
)
flask_app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db.init_app(flask_app)


@flask_app.post("/answers")
def store_answers():
    session_key = request.form["session"]
    for key, value in request.form.items():
        if key == "session":
            continue
        number = value if value.isdigit() else None
        db.session.add(
            BareAnswer(
                session_key=session_key,
                question_key=key,
                value_text=None if number or len(value) < 20 else value,
                value_number=Decimal(number) if number else None,
                value_choice=value if not number and len(value) < 20 else None,
            )
        )
    db.session.commit()
    return "", 204


app = CpuMeter(flask_app)
