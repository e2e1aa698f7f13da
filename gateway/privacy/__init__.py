"""Data protection: purge after the retention period, and the export of everything held about a member."""
