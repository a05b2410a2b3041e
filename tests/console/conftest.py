from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group, User


def _user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def alice(db) -> User:  # type: ignore[no-untyped-def]
    """An operator."""
    return _user("alice", "operator")


@pytest.fixture
def bob(db) -> User:  # type: ignore[no-untyped-def]
    """A read-only viewer."""
    return _user("bob", "viewer")


@pytest.fixture
def charlie(db) -> User:  # type: ignore[no-untyped-def]
    """Logged in, but holds no role."""
    return _user("charlie", None)


@pytest.fixture
def paged_bucket(cos_client) -> str:  # type: ignore[no-untyped-def]
    """A bucket with 120 objects in one folder: three pages of 50."""
    from objects_app.cos import CosServiceError

    bucket = "paged-1250000000"
    try:
        cos_client.head_bucket(Bucket=bucket)
    except CosServiceError as exc:
        assert exc.get_status_code() == 404
        cos_client.create_bucket(Bucket=bucket)
        for n in range(120):
            cos_client.put_object(Bucket=bucket, Key=f"many/item-{n:03d}.txt", Body=b"x" * n)
    return bucket


SCRATCH_BUCKET = "console-1250000000"


@pytest.fixture
def scratch(cos_client) -> str:  # type: ignore[no-untyped-def]
    """A fresh prefix in a versioned bucket, so tests never see each other's objects."""
    if not cos_client.bucket_exists(SCRATCH_BUCKET):
        cos_client.create_bucket(Bucket=SCRATCH_BUCKET)
        cos_client.put_bucket_versioning(Bucket=SCRATCH_BUCKET, Status="Enabled")
    return f"t-{uuid.uuid4().hex[:10]}/"
