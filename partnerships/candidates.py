"""Writes on computed candidates that are not the overlap job's: dismissing a pair with a reason,
and undoing that. A dismissal is kept by pair, so it survives later runs."""

from __future__ import annotations

from smartdiplomacy.exceptions import ApplicationError

from .models import Candidate, CandidateDismissal


def candidate_dismiss(*, candidate: Candidate, user, reason: str) -> CandidateDismissal:
    """Dismiss a candidate pair with a reason; the dismissal survives later runs (kept by pair)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why this pair is dismissed.", "reason")
    if len(reason) > 1000:
        raise ApplicationError(
            f"Keep the reason under 1,000 characters (it has {len(reason):,}).", "reason"
        )
    dismissal, _ = CandidateDismissal.objects.update_or_create(
        stakeholder_a_id=candidate.stakeholder_a_id,
        stakeholder_b_id=candidate.stakeholder_b_id,
        defaults={"reason": reason, "dismissed_by": user},
    )
    return dismissal


def candidate_restore(*, candidate: Candidate) -> int:
    """Undo the dismissal of a candidate pair. Returns how many dismissals were removed."""
    deleted, _ = CandidateDismissal.objects.filter(
        stakeholder_a_id=candidate.stakeholder_a_id,
        stakeholder_b_id=candidate.stakeholder_b_id,
    ).delete()
    return deleted
