from django.apps import AppConfig


class QualificationsConfig(AppConfig):
    name = "apps.qualifications"
    label = "qualifications"
