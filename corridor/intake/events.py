"""Audit codes of the intake app (2000–2999). Entries hold contact ids, counts and
codes, never what a person wrote."""

from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class IntakeEvent(IntEnum):
    SUBMISSION_RECEIVED = 2001
    FOLLOW_UP_RECEIVED = 2002
    CONTACT_RECORDED = 2003
    MESSAGES_OPENED = 2004
    REPLY_SENT = 2005
    ATTACHMENT_READ = 2006
    ATTACHMENT_STRIPPED = 2007
    ATTACHMENT_ORIGINAL_OPENED = 2008
    RECEIPT_USED = 2010
    RECEIPT_REFUSED = 2011
    RECEIPT_LOCKED = 2012
    RECEIPTS_EXPIRED = 2013
    STATUS_CHANGED = 2020
    FLAGS_CHANGED = 2021
    VETTING_RECORDED = 2022
    CONTACTS_LINKED = 2023
    NOTES_CHANGED = 2024
    CASE_OPENED_FROM_CONTACT = 2025
    CONTACT_ADDED_TO_CASE = 2027
    IDENTIFIER_ADDED = 2026
    CONTACT_ERASED = 2030
    RETENTION_RUN = 2031
    HISTORY_IMPORTED = 2040


register(IntakeEvent, range(2000, 3000))
