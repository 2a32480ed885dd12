from django.urls import path

urlpatterns: list = [
    # Project and batch pages are added here (see the batches issue).
]
