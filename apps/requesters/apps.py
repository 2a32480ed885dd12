from django.apps import AppConfig


class RequestersConfig(AppConfig):
    name = "apps.requesters"
    label = "requesters"
    verbose_name = "Requester accounts"
