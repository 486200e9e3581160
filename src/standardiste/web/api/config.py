"""Configuration: the public part for desktops, the whole file for administrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from standardiste.auth.principal import Principal
from standardiste.config import ConfigError, parse_config
from standardiste.domain.errors import InvalidRequest
from standardiste.web.deps import current_principal, get_runtime, require_roles

router = APIRouter(prefix="/api/v1/config", tags=["config"])


@router.get("/public")
async def public_config(
    request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Return what every desktop needs: reasons, activities, wrap-up codes, queues."""
    cfg = get_runtime(request).config
    return {
        "name": cfg.centre.name,
        "language": cfg.centre.language,
        "timezone": cfg.centre.timezone,
        "pause_reasons": cfg.centre.pause_reasons,
        "activities": cfg.centre.activities,
        "dispositions": cfg.centre.dispositions,
        "queues": [
            {
                "id": q.id,
                "name": q.name,
                "channel": q.channel.value,
                "disposition_required": q.acw.disposition_required,
                "acw": q.acw.mode.value,
                "acw_seconds": q.acw.seconds,
                "offer_timeout_s": q.offer_timeout,
            }
            for q in cfg.queues
        ],
    }


@router.get("")
async def get_config(
    request: Request, principal: Principal = Depends(require_roles("admin"))
) -> dict[str, Any]:
    """Return the whole configuration (password hashes left out)."""
    data = get_runtime(request).config.model_dump(mode="json")
    for section in ("agents", "users"):
        for row in data.get(section, []):
            row.pop("password_hash", None)
    return data


@router.post("/validate")
async def validate(
    body: dict[str, Any], principal: Principal = Depends(require_roles("admin"))
) -> dict[str, Any]:
    """Check a configuration without applying it; list every error with its key path."""
    try:
        parse_config(body)
    except ConfigError as err:
        return {
            "valid": False,
            "errors": [{"path": i.path, "message": i.message} for i in err.issues],
        }
    return {"valid": True, "errors": []}


@router.put("")
async def replace_config(
    body: dict[str, Any], request: Request, principal: Principal = Depends(require_roles("admin"))
) -> dict[str, Any]:
    """Validate and apply a new configuration; it is written back to the TOML file."""
    try:
        cfg = parse_config(body)
    except ConfigError as err:
        raise InvalidRequest(
            "config.invalid",
            "the configuration has errors",
            errors=[{"path": i.path, "message": i.message} for i in err.issues],
        ) from err
    await get_runtime(request).apply_config(cfg, actor=principal.user_id)
    return {"applied": True}
