"""The strategy library and the instrument registry (read-only, signed-in users)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tradeloop.core.errors import NotFound
from tradeloop.market.instruments import INSTRUMENTS
from tradeloop.serving.deps import CurrentUser
from tradeloop.strategies.base import REGISTRY, all_strategies

router = APIRouter(tags=["strategies"])


@router.get("/api/strategies")
def list_strategies(user: CurrentUser) -> dict[str, Any]:
    """Every strategy with its descriptions (id, en) and parameter schema."""
    items = [cls.describe() for cls in all_strategies()]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.get("/api/strategies/{key}")
def get_strategy_schema(key: str, user: CurrentUser) -> dict[str, Any]:
    """One strategy's descriptions and parameter schema."""
    all_strategies()
    if key not in REGISTRY:
        raise NotFound(f"unknown strategy {key!r}: GET /api/strategies lists them")
    return REGISTRY[key].describe()


@router.get("/api/instruments")
def list_instruments(user: CurrentUser) -> dict[str, Any]:
    """The instruments tradeloop knows, with contract, pip and lot facts."""
    items = [
        {
            "symbol": i.symbol,
            "asset_class": i.asset_class.value,
            "base": i.base,
            "quote": i.quote,
            "contract_size": i.contract_size,
            "pip_size": i.pip_size,
            "tick_size": i.tick_size,
            "digits": i.digits,
            "min_lot": i.min_lot,
            "max_lot": i.max_lot,
            "lot_step": i.lot_step,
            "spread_pips": i.spread_pips,
        }
        for i in INSTRUMENTS.values()
    ]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}
