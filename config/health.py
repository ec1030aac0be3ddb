from django.db import DatabaseError, connection
from django.http import JsonResponse


def healthz(request):
    """200 when the app and its database answer; 503 otherwise.

    ``SELECT 1`` stays raw SQL: it is a ping that reads no table (the ORM has no statement
    without a model, and a model read would make health depend on the schema and its rows).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
