from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.enums import SubRegion, db_enum


class Member(Base):
    """A Member customs administration of the region (not a country: Hong Kong, China and
    Macao, China are customs territories)."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("length(code) = 3 AND upper(code) = code", name="code_alpha3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    subregion: Mapped[SubRegion] = mapped_column(db_enum(SubRegion, "subregion"))
    is_rtc: Mapped[bool] = mapped_column(Boolean, default=False)
    is_small_island_economy: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Member {self.code}>"
