from flask import Blueprint

from app.web.access import staff_required

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.before_request
@staff_required
def require_staff():
    """Every page of this blueprint is for staff only."""
    return None
