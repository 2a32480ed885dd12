from django.contrib import admin
from django.db import models

from apps.requesters.models import Membership, Requester

CREDENTIAL_NAME_FIELDS = ("access_key_env", "secret_key_env", "aws_profile")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    list_display = ["name", "environment", "credential_source", "created_at"]
    # Credentials are edited on the dashboard's account page, which keeps them write-only.
    exclude = ["access_key_id", "secret_access_key"]
    # Endpoints without a scheme are https, as on the dashboard's own account form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # Naming the server's environment variables or AWS profiles is for site administrators
        # (apps/requesters/credentials.py); the model's clean() checks endpoints for everyone.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return [*super().get_readonly_fields(request, obj), *CREDENTIAL_NAME_FIELDS]
