from django.urls import path

from apps.review import views

urlpatterns = [
    path("review/", views.queue, name="review-queue"),
    path("review/<int:pk>/approve/", views.approve, name="review-approve"),
    path("review/<int:pk>/reject/", views.reject, name="review-reject"),
    path("review/<int:pk>/bonus/", views.bonus, name="review-bonus"),
]
