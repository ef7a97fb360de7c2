"""Sample inputs shared by the tests: the shipped questionnaires and work plan, the
questionnaire with every question type, and a small excerpt of the annex."""

from pathlib import Path
from textwrap import dedent

ROOT = Path(__file__).resolve().parents[1]
SURVEYS = ROOT / "surveys"
ALL_TYPES = ROOT / "tests" / "data" / "all-types.yaml"

HEADER = dedent(
    """\
     Specific Actions of ROCB A/P

    (Relevance to A/P RSP 2024-2026)
    Annual Work Plan for 2025-2026

    RSP Key Performance
    Indicator

    """
)

SHIPPED = ROOT / "data" / "workplans" / "2025-2026.txt"
SEED = ROOT.parent / "shared" / "seeds" / "000_ff70a660e51ea083.txt"
PLAN_FILES = [SHIPPED] + ([SEED] if SEED.exists() else [])

SMALL_PLAN = (
    "1. Support the implementation of WCO conventions\n\n"
    + HEADER
    + dedent(
        """\
    a) Upon request, assist with risk management

    (RSP 1.1.1 – 1st milestone)

    ➢ National workshop on Risk Management for Iran (See also 1-(b))
    ➢ Regional Workshop on Risk Management for AP region (See also 1-(b))

    Number of implementing Members
    b) Upon request, assist with nCEN

    (RSP 1.1.1 – 2nd milestone)

    ➢ National workshop on Risk Management for Iran (See also 1-(a))
    ➢ Upon request, consult with the WCO aiming at providing assistance

    Number of Members
    """
    )
)
