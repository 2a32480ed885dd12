from django.contrib import admin
from django.db import models

from apps.requesters.models import Membership, Requester


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
