from django.conf import settings


def frontport(request) -> dict:
    return {"SITE_URL": settings.SITE_URL}
