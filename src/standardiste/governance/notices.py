"""Generate the GDPR Art. 30 record and the agents' notice from the register (R-GOV-3)."""

from __future__ import annotations

from standardiste.governance.register import MODULES, GovernanceConfig, ProcessingSheet

_TITLES = {
    "fr": {
        "agent_recording": "Enregistrement déclenché par l'agent (incivilités)",
        "campaign_recording": "Enregistrement par campagne",
        "state_history_extended": "Historique individuel des états au-delà de 7 jours",
        "individual_statistics": "Indicateurs individuels",
        "wallboard_detail": "Détail individuel sur le tableau temps réel",
    },
    "en": {
        "agent_recording": "Agent-triggered recording (incivility)",
        "campaign_recording": "Campaign recording",
        "state_history_extended": "Individual state history beyond 7 days",
        "individual_statistics": "Individual indicators",
        "wallboard_detail": "Individual detail on the real-time board",
    },
}
_DATA = {
    "agent_recording": "voix de l'agent et de l'usager, date, heure, durée, numéro appelant",
    "campaign_recording": "voix de l'agent et de l'usager, date, heure, durée, grille d'analyse",
    "state_history_extended": "états de l'agent horodatés (prêt, en communication, pause)",
    "individual_statistics": "indicateurs individuels listés dans la fiche",
    "wallboard_detail": "état courant de l'agent",
}
_TEXT = {
    "fr": {
        "head": "# Information des agents sur les dispositifs de contrôle",
        "none": "Aucun dispositif d'enregistrement ni de suivi individuel n'est activé.",
        "purposes": "Finalités",
        "retention": "Durée de conservation",
        "days": "jours",
        "rights": "Vous pouvez consulter dans « Ma journée » qui a accédé aux enregistrements "
        "vous concernant et qui a consulté vos données individuelles. Droits d'accès, de "
        "rectification, d'opposition : délégué à la protection des données",
        "states": "Vos états bruts (prêt, en communication, pause) sont conservés",
        "states_tail": "puis seulement agrégés par équipe.",
        "campaign": "Campagne",
    },
    "en": {
        "head": "# Information to agents about monitoring",
        "none": "No recording or individual monitoring is enabled.",
        "purposes": "Purposes",
        "retention": "Retention",
        "days": "days",
        "rights": 'In "My day" you can see who accessed recordings you are part of and who '
        "viewed your individual data. Rights of access, rectification, objection: data "
        "protection officer",
        "states": "Your raw states (ready, on call, pause) are kept",
        "states_tail": "then only as team aggregates.",
        "campaign": "Campaign",
    },
}


def _retention_days(cfg: GovernanceConfig, module: str) -> int:
    if module.endswith("recording"):
        return cfg.retention.recordings_days
    return cfg.retention.state_events_days


def _fmt(values: tuple[str, ...] | tuple[object, ...]) -> str:
    return ", ".join(str(v) for v in values) or "-"


def render_processing_record(cfg: GovernanceConfig) -> str:
    """Render the Art. 30 record of processing activities as Markdown (French)."""
    out = ["# Registre des activités de traitement (RGPD art. 30)", ""]
    if cfg.dpo_contact:
        out += [f"Délégué à la protection des données : {cfg.dpo_contact}", ""]
    enabled = [m for m in MODULES if cfg.modules.get(m).enabled]
    if not enabled:
        out.append("Aucun module de contrôle n'est activé.")
    for name in enabled:
        s: ProcessingSheet = cfg.sheet(name)
        assert s.consultation and s.dpo_signoff and s.legal_basis
        out += [
            f"## {_TITLES['fr'][name]} (`{name}`)",
            "",
            f"- Responsable de traitement : {s.controller}",
            f"- Finalités : {_fmt(tuple(p.value for p in s.purposes))}",
            f"- Base légale : {s.legal_basis.value}"
            + (f" ({s.legal_reference})" if s.legal_reference else ""),
            "- Personnes concernées : agents; usagers pour les enregistrements",
            f"- Catégories de données : {_DATA[name]}",
            f"- Destinataires : {_fmt(s.recipients)}",
            "- Transferts hors UE : aucun",
            f"- Durée de conservation : {_retention_days(cfg, name)} jours; "
            f"journal d'audit {cfg.retention.audit_days} jours",
            f"- AIPD : {s.dpia_reference}",
            f"- Consultation : {s.consultation.body} du {s.consultation.date.isoformat()} "
            f"({s.consultation.reference})",
            f"- Visa du DPD : {s.dpo_signoff.name}, {s.dpo_signoff.date.isoformat()}",
            "- Sécurité : chiffrement AES-256-GCM par enregistrement, accès par rôle, "
            "périmètre et finalité avec motif déclaré et MFA, journal d'audit chaîné",
            "",
        ]
        if s.indicators:
            out.insert(-1, f"- Indicateurs individuels : {_fmt(s.indicators)}")
    return "\n".join(out).rstrip() + "\n"


def render_agent_notice(cfg: GovernanceConfig, lang: str = "fr") -> str:
    """Render the agents' information notice (Markdown) in French or English."""
    t = _TEXT[lang]
    out = [t["head"], ""]
    enabled = [m for m in MODULES if cfg.modules.get(m).enabled]
    if not enabled:
        out += [t["none"], ""]
    for name in enabled:
        s = cfg.sheet(name)
        text = s.notice_en if lang == "en" and s.notice_en else s.notice_fr
        out += [f"## {_TITLES[lang][name]}", "", (text or "").strip(), ""]
        out.append(f"- {t['purposes']}: {_fmt(tuple(p.value for p in s.purposes))}")
        out += [f"- {t['retention']}: {_retention_days(cfg, name)} {t['days']}", ""]
    for c in cfg.campaigns:
        out.append(
            f"- {t['campaign']} `{c.id}`: {c.purpose.value}, {c.start.isoformat()} → "
            f"{(c.end or c.start).isoformat()}, {_fmt(c.teams + c.agents)}"
        )
    days = cfg.retention.state_events_days
    out += ["", f"{t['states']} {days} {t['days']}, {t['states_tail']}", ""]
    out.append(f"{t['rights']}{': ' + cfg.dpo_contact if cfg.dpo_contact else ''}.")
    return "\n".join(out) + "\n"
