from django.contrib import admin

from apps.requesters.models import Membership, Requester


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    list_display = ["name", "environment", "credential_source", "created_at"]
    # Credentials are edited on the dashboard's account page, which keeps them write-only.
    exclude = ["access_key_id", "secret_access_key"]
    inlines = [MembershipInline]
