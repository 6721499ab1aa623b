"""Routing under SLAs: roster and rules versions, the vectorised policy engine, the decision log, SLA checks, and
the stage that turns scored leads into decisions, briefs and CRM tasks (see docs/routing.md)."""

from .decisions import DECISION_SCHEMA, DECISIONS, append_decisions, latest_decisions, read_decisions
from .engine import LEAD_INPUT_SCHEMA, rep_availability, route_leads
from .roster import Roster, RosterError, parse_roster, read_roster
from .rules import RoutingRules, RuleBook, RulesError, parse_rules
from .sla import add_business_hours, first_contacts, sla_status
from .stage import BRIEFS, SLA_STATUS, RoutingReport, check_slas, run_routing_stage

__all__ = ["DECISIONS", "DECISION_SCHEMA", "append_decisions", "latest_decisions", "read_decisions",
           "LEAD_INPUT_SCHEMA", "rep_availability", "route_leads", "Roster", "RosterError", "parse_roster",
           "read_roster", "RoutingRules", "RuleBook", "RulesError", "parse_rules", "add_business_hours",
           "first_contacts", "sla_status", "BRIEFS", "SLA_STATUS", "RoutingReport", "check_slas",
           "run_routing_stage"]
