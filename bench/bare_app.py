"""The baseline of bench/respond.py: a bare Flask + SQLAlchemy app that stores one
evaluation's answers with one POST (one INSERT of all its rows, one commit), on the same
database, under the same gunicorn settings and with the same meter as the application.

    gunicorn --config python:app.ops.gunicorn_conf --pythonpath bench bare_app:app
"""

from __future__ import annotations

import os
from functools import cache

from cpu_meter import CpuMeter
from flask import Flask, request
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
)

from config import normalise_database_url

metadata = MetaData()
bare_answers = Table(
    "bare_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_key", String(64), nullable=False, index=True),
    Column("question_key", String(64), nullable=False),
    Column("value_text", Text),
    Column("value_number", Numeric(12, 4)),
    Column("value_choice", String(64)),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

flask_app = Flask(__name__)


@cache
def engine():
    """The database of DATABASE_URL, with the application's engine options."""
    return create_engine(normalise_database_url(os.environ["DATABASE_URL"]), pool_pre_ping=True)


@flask_app.post("/answers")
def store_answers():
    session_key = request.form["session"]
    rows = []
    for key, value in request.form.items():
        if key == "session":
            continue
        number = value if value.isdigit() else None
        rows.append(
            {
                "session_key": session_key,
                "question_key": key,
                "value_text": None if number or len(value) < 20 else value,
                "value_number": number,
                "value_choice": value if not number and len(value) < 20 else None,
            }
        )
    with engine().begin() as connection:
        connection.execute(insert(bare_answers), rows)
    return "", 204


app = CpuMeter(flask_app)
