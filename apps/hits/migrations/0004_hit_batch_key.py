from django.db import migrations, models

from apps.hits.models import batch_key_from_annotation


def backfill_batch_keys(apps, schema_editor):
    """HITs already mirrored get the batch key their annotation marker names."""
    HIT = apps.get_model("hits", "HIT")
    marked = HIT.objects.filter(annotation__startswith="mturkdash:").only("pk", "annotation")
    changed = []
    for hit in marked.iterator(chunk_size=2000):
        key = batch_key_from_annotation(hit.annotation)
        if key:
            hit.batch_key = key
            changed.append(hit)
        if len(changed) >= 2000:
            HIT.objects.bulk_update(changed, ["batch_key"])
            changed = []
    if changed:
        HIT.objects.bulk_update(changed, ["batch_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("hits", "0003_assignment_agreement"),
        ("requesters", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="hit",
            name="batch_key",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AddIndex(
            model_name="hit",
            index=models.Index(
                fields=["requester", "batch_key"], name="hits_hit_request_7cbe1d_idx"
            ),
        ),
        migrations.RunPython(backfill_batch_keys, migrations.RunPython.noop),
    ]
