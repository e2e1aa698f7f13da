"""Three-year re-registration: reminders before expiry, re-registration campaigns, the daily job."""
