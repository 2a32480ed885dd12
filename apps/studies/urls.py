from django.urls import path

from apps.studies import views

urlpatterns = [
    path("studies/", views.study_list, name="studies-list"),
    path("studies/new/", views.study_edit, name="studies-new"),
    path("studies/<int:pk>/", views.study_detail, name="studies-detail"),
    path("studies/<int:pk>/edit/", views.study_edit, name="studies-edit"),
    path("studies/<int:pk>/publish/", views.study_publish, name="studies-publish"),
    path("studies/<int:pk>/auto-approve/", views.study_auto_approve, name="studies-auto-approve"),
]
