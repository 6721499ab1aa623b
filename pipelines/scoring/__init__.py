"""Lead scoring stage: features → the champion model → gold.lead_scores; nightly challengers (no Dagster)."""

from .stage import (LEAD_SCORES, PHRASES, TIERS, ScoringReport, registry_for, run_scoring_stage, score_leads,
                    split_holdout, tier_of, train_challenger, training_frame)

__all__ = ["LEAD_SCORES", "PHRASES", "TIERS", "ScoringReport", "registry_for", "run_scoring_stage",
           "score_leads", "split_holdout", "tier_of", "train_challenger", "training_frame"]
