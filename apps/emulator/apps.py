from django.apps import AppConfig


class EmulatorConfig(AppConfig):
    name = "apps.emulator"
    label = "emulator"
    verbose_name = "Local MTurk"
    default_auto_field = "django.db.models.BigAutoField"
