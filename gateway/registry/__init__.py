"""The member register: establishments (SIRET, grouped under their business's SIREN), their mobile numbers,
three-year registrations and alert targeting.

Modules: ``siren`` and ``phones`` (validation), ``models`` (tables), ``reference`` (zones, streets,
categories) and ``names`` (the one resolver of their names), ``records`` (one record's rules), ``members``
(domain operations), ``targeting`` (who gets an alert), ``sheets`` (reading and writing spreadsheets) and
``csv_io`` (import/export of the register through them), ``words`` (what operators read), ``fiction``
(generated fictitious members), ``errors``. The faces reach these through :mod:`gateway.usecases`.
"""
