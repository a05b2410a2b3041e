"""The rewind's check before a window's copies: the latest entry of every key of the window,
read from the version listing (one request per ~1,000 entries, a key's long history skipped
once its latest entry is seen), against coslocal."""

from __future__ import annotations

from objects_app.jobs.kinds.rewind.run import latest_entries


class Counting:
    """The real client, counting its listing requests."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client, self.listings = client, 0

    def list_objects_versions(self, **kwargs):  # type: ignore[no-untyped-def]
        self.listings += 1
        return self.client.list_objects_versions(**kwargs)


def test_latest_entries_of_a_window_skip_long_histories(cos_client, new_bucket) -> None:  # type: ignore[no-untyped-def]
    b = new_bucket
    cos_client.put_bucket_versioning(Bucket=b, Status="Enabled")
    latest: dict[str, str] = {}
    for n in range(6):
        for body in (b"1", b"2"):
            answer = cos_client.put_object(Bucket=b, Key=f"w/k{n}", Body=body)
            latest[f"w/k{n}"] = answer["x-cos-version-id"]
    for _ in range(30):  # a long history inside the window
        latest["w/k2"] = cos_client.put_object(Bucket=b, Key="w/k2", Body=b"x")["x-cos-version-id"]
    marker = cos_client.delete_object(Bucket=b, Key="w/k4")  # latest entry: a delete marker
    latest["w/k4"] = marker["x-cos-version-id"]
    cos_client.put_object(Bucket=b, Key="w/k0a", Body=b"not planned")  # between planned keys
    counting = Counting(cos_client)
    keys = ["w/k1", "w/k2", "w/k3", "w/k4", "w/k5", "w/missing"]
    found = latest_entries(counting, b, "w/", "w/k0", keys)
    assert found == {k: latest[k] for k in keys[:-1]}
    # A page sized to the 6 keys (25 entries) ends inside k2's history; the rest is skipped.
    assert counting.listings == 2

    # Pages of 5 entries: k2's 32 entries are skipped after its first page.
    small = Counting(cos_client)
    original = small.list_objects_versions

    def five(**kwargs):  # type: ignore[no-untyped-def]
        return original(**{**kwargs, "MaxKeys": 5})

    small.list_objects_versions = five  # type: ignore[method-assign]
    assert latest_entries(small, b, "w/", "w/k0", keys) == {k: latest[k] for k in keys[:-1]}
    # [k0a, k1, k1, k2, k2] then k2's 30 other entries skipped: [k3, k3, k4 x3], [k5, k5]
    assert small.listings == 3
    assert latest_entries(small, b, "w/", "", ["w/k0"]) == {"w/k0": latest["w/k0"]}
