"""The archive's error pages: Arabic and right to left, where Datasette 0.65 renders
error.html in English outside its own template context (no plugin stylesheet). The
``handle_exception`` and ``forbidden`` hooks in :mod:`newsarchive.web.plugin` call
:func:`error_page`."""

from __future__ import annotations

from typing import Any

from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

__all__ = ["ERROR_TEXTS", "ERROR_TITLES", "error_page", "error_status"]

ERROR_TITLES = {
    400: "طلب غير صالح",
    403: "غير مسموح",
    404: "الصفحة غير موجودة",
    405: "طريقة الطلب غير مقبولة",
    500: "خطأ في الخادم",
}
ERROR_TEXTS = {
    400: "لم يُفهم الطلب. راجع الرابط وعوامله، أو ابدأ من الصفحة الرئيسية.",
    403: "لا تسمح إعدادات الأرشيف بعرض هذه الصفحة.",
    404: "لا توجد صفحة بهذا الرابط في الأرشيف: ربما كُتب الرابط خطأً أو حُذف ما كان فيه.",
    500: "وقع خطأ غير متوقع أثناء إعداد هذه الصفحة. إن تكرر فأبلغ عنه مع الرابط.",
}


def error_status(exception: Exception) -> tuple[int, Any]:
    """The HTTP status and Datasette's (English) message for an exception, as Datasette's
    own handler decides them (datasette/handle_exception.py, 0.65)."""
    if isinstance(exception, Base400):
        return exception.status, exception.args[0] if exception.args else ""
    if isinstance(exception, DatasetteError):
        message = exception.message
        return exception.status, Markup(message) if exception.message_is_html else message
    return 500, str(exception)


async def error_page(datasette, request, status: int, detail: Any) -> Response:
    """The archive's error page: Arabic, right to left (the RTL middleware marks it), with
    Datasette's own message kept as a left-to-right detail for whoever reports it."""
    family = status if status in ERROR_TITLES else (500 if status >= 500 else 400)
    context = {
        "status": status,
        "title": ERROR_TITLES[family],
        "explanation": ERROR_TEXTS.get(family, ERROR_TEXTS[400]),
        # A bare "404" (no route matched) says nothing the heading does not.
        "detail": "" if str(detail).strip() in ("", str(status)) else detail,
    }
    html = await datasette.render_template(
        "newsarchive-error.html", context, request=request, view_name="error"
    )
    return Response.html(html, status=status)
