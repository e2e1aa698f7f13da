"""The member register: businesses, their mobile numbers, three-year registrations and alert targeting.

Modules: ``siren`` and ``phones`` (validation), ``models`` (tables), ``reference`` (zones, streets,
categories), ``records`` (one record's rules), ``members`` (domain operations), ``targeting`` (who gets
an alert), ``csv_io`` (import/export), ``fiction`` (generated fictitious members), ``errors``.
"""
