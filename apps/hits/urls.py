from django.urls import path

from apps.hits import views

urlpatterns = [
    path("hits/", views.hit_list, name="hits-list"),
    path("hits/<int:pk>/", views.hit_detail, name="hits-detail"),
]
