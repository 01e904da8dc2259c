"""Score a client's open cases: late-payment probability, segment and the factors behind it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseStatus, Segment
from hub.clients.models import Client
from hub.clients.services import reference_date
from hub.db import utcnow
from hub.scoring.factors import CaseFacts, top_factors
from hub.scoring.features import InvoiceRecord, PaymentHistory, labelled_features, open_item_features
from hub.scoring.loading import load_invoice_records
from hub.scoring.model import LinearRiskModel, choose_model

# Segment thresholds on the 0-100 risk score.
HIGH_RISK_MIN_SCORE = 60
MEDIUM_RISK_MIN_SCORE = 30


@dataclass(frozen=True)
class ScoreResult:
    """Summary of one scoring run over a client's open cases."""

    client: str
    reference_date: date
    score_source: str
    settled_invoices: int
    late_invoices: int
    scored_cases: int
    segments: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "client": self.client,
            "reference_date": self.reference_date.isoformat(),
            "score_source": self.score_source,
            "settled_invoices": self.settled_invoices,
            "late_invoices": self.late_invoices,
            "scored_cases": self.scored_cases,
            "segments": self.segments,
        }


@dataclass(frozen=True)
class CaseAssessment:
    probability: float
    factors: list[str]


def segment_for(score: int) -> Segment:
    if score >= HIGH_RISK_MIN_SCORE:
        return Segment.HIGH
    if score >= MEDIUM_RISK_MIN_SCORE:
        return Segment.MEDIUM
    return Segment.LOW


def score_from_probability(probability: float) -> int:
    return min(max(round(probability * 100), 0), 100)


def _open_weights(items: list[InvoiceRecord]) -> np.ndarray:
    # Credit notes carry no weight. A case of credits only weighs its items equally.
    weights = np.array([max(item.open_minor, 0) for item in items], dtype=float)
    return weights if weights.sum() > 0 else np.ones(len(items))


def _paper_billing(items: list[InvoiceRecord], weights: np.ndarray) -> bool | None:
    known = [
        (item.paperless is False, weight)
        for item, weight in zip(items, weights, strict=True)
        if item.paperless is not None
    ]
    if not known:
        return None
    paper_weight = sum(weight for paper, weight in known if paper)
    return paper_weight * 2 > sum(weight for _, weight in known)


def _case_facts(
    items: list[InvoiceRecord], weights: np.ndarray, history: PaymentHistory, typical_minor: float
) -> CaseFacts:
    mean_amount = float(np.average([item.amount_minor for item in items], weights=weights))
    return CaseFacts(
        history=history,
        dispute_open=any(item.disputed for item in items),
        paper=_paper_billing(items, weights),
        amount_above_usual=mean_amount > typical_minor,
    )


def assess_case(
    items: list[InvoiceRecord],
    featured: dict[int, tuple[list[float], PaymentHistory]],
    model: LinearRiskModel,
    typical_minor: float,
) -> CaseAssessment:
    """Combine the open items of one case into an open-amount-weighted probability and its factors."""
    matrix = np.array([featured[item.id][0] for item in items], dtype=float)
    weights = _open_weights(items)
    probability = float(np.average(model.predict_late(matrix), weights=weights))
    contributions = np.average(model.contributions(matrix), axis=0, weights=weights)

    history = featured[items[0].id][1]
    facts = _case_facts(items, weights, history, typical_minor)
    return CaseAssessment(probability, top_factors(contributions, facts))


def _apply(case: Case, assessment: CaseAssessment, source: str, scored_at: datetime) -> None:
    case.risk_score = score_from_probability(assessment.probability)
    case.risk_factors = assessment.factors
    case.score_source = source
    case.scored_at = scored_at
    case.segment = segment_for(case.risk_score)


async def _open_cases(session: AsyncSession, client: Client) -> list[Case]:
    query = select(Case).where(Case.client_id == client.id, Case.status == CaseStatus.OPEN).order_by(Case.id)
    return list((await session.scalars(query)).all())


def _open_items_by_debtor(records: list[InvoiceRecord], debtor_ids: set[int]) -> dict[int, list[InvoiceRecord]]:
    items: dict[int, list[InvoiceRecord]] = defaultdict(list)
    for record in records:
        if record.open_minor != 0 and record.debtor_id in debtor_ids:
            items[record.debtor_id].append(record)
    return items


async def score_cases(session: AsyncSession, client: Client) -> ScoreResult:
    """Re-score every open case of ``client`` from its own settled history, or the default weights.

    Open items are the invoices with a non-zero open amount; a case with none
    keeps its previous score. Only Case rows of ``client`` are written.
    """
    reference = reference_date(client)
    records = await load_invoice_records(session, client)
    training = labelled_features(records, reference)
    model = choose_model(training.features, training.late)

    cases = await _open_cases(session, client)
    items_by_debtor = _open_items_by_debtor(records, {case.debtor_id for case in cases})
    open_items = [item for items in items_by_debtor.values() for item in items]
    featured = open_item_features(records, open_items, reference)
    typical_minor = float(np.median([record.amount_minor for record in records])) if records else 0.0

    scored_at = utcnow()
    segments = {segment.value: 0 for segment in Segment}
    for case in cases:
        items = items_by_debtor.get(case.debtor_id)
        if not items:
            continue
        _apply(case, assess_case(items, featured, model, typical_minor), model.source, scored_at)
        segments[case.segment.value] += 1  # type: ignore[union-attr]
    await session.flush()

    return ScoreResult(
        client=client.slug,
        reference_date=reference,
        score_source=model.source,
        settled_invoices=len(training.late),
        late_invoices=int(training.late.sum()),
        scored_cases=sum(segments.values()),
        segments=segments,
    )
