"""Process owners' work: deployed versions, drafts, diffs, migration of running cases."""
