from django.apps import AppConfig


class EmulatorConfig(AppConfig):
    name = "apps.emulator"
    label = "emulator"
    verbose_name = "Local MTurk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The HIT review policies run when a HIT becomes Reviewable; the life cycle calls them
        # through this hook so that it never imports them (they act through the life cycle).
        from .engine import lifecycle, review_policies

        lifecycle.on_hit_reviewable(review_policies.hit_policy_schedule)
