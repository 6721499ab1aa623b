"""Lead scoring stage: features → the champion model → gold.lead_scores; nightly challengers (no Dagster)."""

from .current import LEAD_SCORE_UPDATES, current_lead_scores, fold_score_updates
from .stage import (LEAD_SCORES, MAX_TRAINING_ROWS, PHRASES, TIERS, ScoringReport, registry_for,
                    run_scoring_stage, score_leads, split_holdout, tier_of, train_challenger,
                    train_lead_model, training_frame)

__all__ = ["LEAD_SCORES", "LEAD_SCORE_UPDATES", "MAX_TRAINING_ROWS", "PHRASES", "TIERS", "ScoringReport",
           "current_lead_scores", "fold_score_updates", "registry_for", "run_scoring_stage", "score_leads",
           "split_holdout", "tier_of", "train_challenger", "train_lead_model", "training_frame"]
