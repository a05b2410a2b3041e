"""Who can read what: object ACLs, bucket ACLs and bucket policies evaluated together.

Pure code (no COS calls, no database): selectors fetch the three sources, this package decides
and explains. `decide.can_read` answers for one object, `prefix.can_read_prefix` for a prefix,
`words` says it in one sentence, `checks` vets a policy before it is saved.
"""
