"""The back office: admins run a consultation (its page, phases, documents, groups, meetings) without a developer."""
