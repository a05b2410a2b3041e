"""XML parsing into SDK shapes, hardened against hostile documents."""

from __future__ import annotations

import pytest
import xmltodict
from qcloud_cos.cos_comm import xml_to_dict as sdk_xml_to_dict

from objects_app.cos import CosClientError
from objects_app.cos.xml import (
    complete_multipart_xml,
    dict_to_xml,
    error_fields,
    listify,
    unquote_fields,
    xml_to_dict,
)

LISTING = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>demo-1250000000</Name><EncodingType>url</EncodingType><Prefix/><Marker/>
  <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
  <Contents><Key>a%2Bb%20c</Key><Size>3</Size><Owner><ID>1250000000</ID></Owner></Contents>
  <Contents><Key>%E4%B8%AD</Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes>
</ListBucketResult>"""

ACL = b"""<AccessControlPolicy><Owner><ID>qcs::cam::uin/1:uin/1</ID></Owner><AccessControlList>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
<URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
</AccessControlList></AccessControlPolicy>"""


@pytest.mark.parametrize(
    "body", [LISTING, ACL, b"<VersioningConfiguration/>", b"<R><A x='1'>t</A><A>u</A><B/></R>"]
)
def test_parse_matches_sdk_shape(body: bytes) -> None:
    assert xml_to_dict(body) == sdk_xml_to_dict(body)


def test_listing_lists_and_decoding() -> None:
    data = listify(xml_to_dict(LISTING), ["Contents", "CommonPrefixes"])
    unquote_fields(data, ["Prefix"], [("Contents", "Key"), ("CommonPrefixes", "Prefix")])
    assert [c["Key"] for c in data["Contents"]] == ["a+b c", "中"]
    assert data["CommonPrefixes"] == [{"Prefix": "dir/"}]
    assert data["Prefix"] is None


def test_listify_single_and_none() -> None:
    data = {"Part": {"PartNumber": "1"}, "Upload": None}
    listify(data, ["Part", "Upload", "Missing"])
    assert data == {"Part": [{"PartNumber": "1"}], "Upload": []}


@pytest.mark.parametrize(
    "hostile",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b"<r><unclosed></r>",
    ],
)
def test_hostile_or_broken_xml_is_refused(hostile: bytes) -> None:
    with pytest.raises(CosClientError):
        xml_to_dict(hostile)


def test_dict_to_xml_round_trips_through_xmltodict() -> None:
    body = dict_to_xml(
        {"Quiet": True, "Object": [{"Key": "a&b<c"}, {"Key": "d", "VersionId": "v"}]}, "Delete"
    )
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    parsed = xmltodict.parse(body)["Delete"]
    assert parsed["Quiet"] == "true"
    assert parsed["Object"] == [{"Key": "a&b<c"}, {"Key": "d", "VersionId": "v"}]


def test_dict_to_xml_attributes_for_acl_grantee() -> None:
    policy = {
        "Grantee": {
            "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "@xsi:type": "Group",
            "URI": "u",
        }
    }
    body = dict_to_xml(policy, "Grant")
    assert b'xsi:type="Group"' in body
    assert xmltodict.parse(body)["Grant"]["Grantee"]["@xsi:type"] == "Group"


def test_complete_xml_escapes_quotes_and_ignores_extra_keys() -> None:
    body = complete_multipart_xml([{"PartNumber": 1, "ETag": '"abc"', "Size": "9"}])
    assert b"<PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag>" in body
    assert b"Size" not in body
    with pytest.raises(CosClientError):
        complete_multipart_xml([{"PartNumber": 1}])


def test_error_fields() -> None:
    body = (
        b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code><Message>gone</Message>"
        b"<Resource>/k</Resource><RequestId>r1</RequestId><TraceId>t1</TraceId></Error>"
    )
    assert error_fields(body) == {
        "Code": "NoSuchKey",
        "Message": "gone",
        "Resource": "/k",
        "RequestId": "r1",
        "TraceId": "t1",
    }
    assert error_fields(b"<CopyObjectResult><ETag>x</ETag></CopyObjectResult>") is None
    assert error_fields(b"not xml") is None


@pytest.mark.parametrize(
    "hostile",
    [
        # UTF-16: the "<!" test cannot see the DOCTYPE in these bytes; they must still be refused
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>'.encode(
            "utf-16"
        ),
        '<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>',  # a str body
    ],
)
def test_hostile_xml_in_other_encodings_is_refused(hostile: bytes | str) -> None:
    with pytest.raises(CosClientError):
        xml_to_dict(hostile)


def test_plain_and_defused_parsers_agree() -> None:
    """A body without "<!" takes the stdlib's C parser; with a comment it takes defusedxml's:
    both give the same dict (namespaces, attributes, repeats, entities, CDATA-free text)."""
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<ListVersionsResult xmlns="http://www.qcloud.com/document/product/436/7751">'
        b"<Name>b</Name><Version><Key>a&amp;b</Key><IsLatest>true</IsLatest></Version>"
        b'<Version><Key>c</Key><Owner a="1">x</Owner></Version><Empty/></ListVersionsResult>'
    )
    commented = body.replace(b"<Name>", b"<!-- c --><Name>")
    assert xml_to_dict(body) == xml_to_dict(commented)
    assert xml_to_dict(body)["Version"][0]["Key"] == "a&b"
    assert xml_to_dict(body) == sdk_xml_to_dict(body)
