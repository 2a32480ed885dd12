from django.apps import AppConfig


class MturkConfig(AppConfig):
    name = "apps.mturk"
    label = "mturk"
    verbose_name = "MTurk gateway"
