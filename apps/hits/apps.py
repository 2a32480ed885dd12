from django.apps import AppConfig


class HitsConfig(AppConfig):
    name = "apps.hits"
    label = "hits"
