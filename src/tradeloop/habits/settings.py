"""Detector settings with their documented defaults and bounds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HabitSettings(BaseModel):
    """σ for outsized losses and excessive risk, k for the revenge window, vr for sizing."""

    model_config = ConfigDict(extra="forbid")

    sigma_loss: float = Field(default=1.0, ge=0.1, le=5.0, description="outsized loss σ")
    sigma_risk: float = Field(default=1.5, ge=0.1, le=5.0, description="excessive risk σ")
    k: float = Field(default=1.0, ge=0.1, le=10.0, description="revenge window = median hold × k")
    vr: float = Field(default=0.35, ge=0.05, le=2.0, description="risk variation ratio limit")
