from django.urls import path

from objects_app.views import browse, jobs

app_name = "objects"

# Bucket names are `<name>-<appid>`: lowercase letters, digits and dashes, so <slug:> fits.
# Object keys never go in the path: they travel in the query string (`?key=`), safely encoded.
urlpatterns = [
    # --- browsing and object management (issue 5) ---
    path("", browse.bucket_list, name="bucket-list"),
    path("b/<slug:bucket>/", browse.object_list, name="object-list"),
    # --- jobs (issue 6) ---
    path("b/<slug:bucket>/summary/", jobs.prefix_summary, name="prefix-summary"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job-detail"),
]
