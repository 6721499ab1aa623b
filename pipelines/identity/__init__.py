"""Identity resolution: one person across every system, every person on the right account (no Dagster here).

See ``docs/identity.md``. The facade names what callers need; the modules hold the rest.
"""

from .accounts import account_table, match_accounts, prospect_accounts
from .evaluate import PairwiseScores, pairwise_scores
from .golden import golden_accounts, golden_persons
from .incremental import IdentityIndex, IncrementalMatch
from .normalize import FREE_EMAIL_DOMAINS, normalize_person_records, registered_domain
from .records import PERSON_RECORD_SCHEMA, conform_person_records, person_records, read_person_records
from .resolve import OVERRIDE_SCHEMA, Resolution, ResolverOptions, resolve_persons

__all__ = [
    "resolve_persons", "ResolverOptions", "Resolution", "OVERRIDE_SCHEMA", "IdentityIndex", "IncrementalMatch",
    "normalize_person_records", "registered_domain", "FREE_EMAIL_DOMAINS", "PERSON_RECORD_SCHEMA",
    "conform_person_records", "person_records", "read_person_records", "account_table", "match_accounts",
    "prospect_accounts", "golden_persons", "golden_accounts", "pairwise_scores", "PairwiseScores",
]
