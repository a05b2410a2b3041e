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


# --- issue 13: a coslocal that knows more identities than the bucket owner ------------------

ACL_OWNER_UIN = "1250000000"  # the APPID: coslocal's default owner uin
ACL_SUB_UIN, ACL_OTHER_UIN = "100000000011", "100000000002"
ACL_SUB_ID, ACL_SUB_KEY = "AKIDconsolesub000000000000000000", "console-sub-secret"
ACL_OTHER_ID, ACL_OTHER_KEY = "AKIDconsoleother0000000000000000", "console-other-secret"


@pytest.fixture(scope="session")
def acl_coslocal(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A coslocal with a sub-account of the owner and another root account (--user)."""
    from coslocal.testing import CoslocalServer
    from tests.conftest import APPID, REGION, SECRET_ID, SECRET_KEY

    server = CoslocalServer(
        tmp_path_factory.mktemp("coslocal-acl"), secret_id=SECRET_ID, secret_key=SECRET_KEY,
        appid=APPID, region=REGION,
        users=(f"{ACL_SUB_ID}:{ACL_SUB_KEY}:{ACL_OWNER_UIN}:{ACL_SUB_UIN}",
               f"{ACL_OTHER_ID}:{ACL_OTHER_KEY}:{ACL_OTHER_UIN}:{ACL_OTHER_UIN}"),
    ).start()  # fmt: skip
    yield server
    server.stop()


@pytest.fixture
def acl_console(settings, acl_coslocal):  # type: ignore[no-untyped-def]
    """Point the console at `acl_coslocal` for one test."""
    from objects_app.storage import get_cos_client
    from tests.conftest import APPID, REGION, SECRET_ID, SECRET_KEY

    settings.COS_SECRET_ID, settings.COS_SECRET_KEY = SECRET_ID, SECRET_KEY
    settings.COS_REGION, settings.COS_APPID = REGION, APPID
    settings.COS_IP, settings.COS_PORT = acl_coslocal.host, acl_coslocal.port
    settings.COS_SCHEME, settings.COS_ENDPOINT = "http", ""
    get_cos_client.cache_clear()
    yield acl_coslocal
    get_cos_client.cache_clear()


def official_sdk(server, **overrides):  # type: ignore[no-untyped-def]
    """The official SDK (the referee) for `server`, as the owner unless overridden."""
    from qcloud_cos import CosConfig, CosS3Client

    from tests.conftest import REGION, SECRET_ID, SECRET_KEY

    kwargs = {"Region": REGION, "SecretId": SECRET_ID, "SecretKey": SECRET_KEY, "Scheme": "http",
              "IP": server.host, "Port": server.port, "Timeout": 30}  # fmt: skip
    kwargs.update(overrides)
    return CosS3Client(CosConfig(**kwargs), retry=0)


@pytest.fixture(scope="session")
def readers(acl_coslocal):  # type: ignore[no-untyped-def]
    """Official-SDK clients of the other identities: anonymous, the sub-account, another root."""
    return {
        "anyone": official_sdk(acl_coslocal, Anonymous=True, SecretId=None, SecretKey=None),
        "sub": official_sdk(acl_coslocal, SecretId=ACL_SUB_ID, SecretKey=ACL_SUB_KEY),
        "other": official_sdk(acl_coslocal, SecretId=ACL_OTHER_ID, SecretKey=ACL_OTHER_KEY),
    }
