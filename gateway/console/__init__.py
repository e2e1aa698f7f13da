"""The operations console: the web pages of the duty officer and the CCISM, served by the daemon under ``/console/``.

Server-rendered Jinja2 pages on the same FastAPI application as the API (mounted by ``gateway.api.app``). Every page
works as plain HTML first (links and forms, no script needed); ``static/console.js`` (hand-written, small) adds the
live refresh (it asks the server for a page's changed fragment and swaps it in, as healthchecks does), the
preview while typing, filtering lists as you type, and the sound of a new reply. Nothing comes from another site:
the Content-Security-Policy (``headers``) allows this site's scripts, styles, images and sounds only, and no
inline script or style (charts are SVG drawn on the server: ``charts``).

Modules:

* ``app``: builds the console (routes of every page module, static files, error pages, security headers);
* ``auth``: who is signed in (the session cookie), the role checks, the CSRF check of every form;
* ``web``: the templates, their filters (local times with the zone, French numbers) and ``render``;
* ``nav``: the sections of the navigation bar;
* ``pages/``: one module per page or group of pages, each with its ``router``;
* ``templates/``, ``static/``: the Jinja2 templates and the files served as they are.

Adding a page (e.g. "Campagnes" at ``/console/campagnes``):

1. **Use case.** What the page reads or does is a function of ``gateway/usecases/`` (the API and the CLI call the
   same one). A page never imports SQLAlchemy, a model or a domain module to change data: if the function is
   missing, write it there, beside its siblings.
2. **Route.** In ``pages/campaigns.py``: ``router = APIRouter()``, then a *sync* ``def`` per URL (FastAPI runs it in
   its thread pool; use cases are blocking calls). Take ``identity: Reader`` (or ``Sender``, ``MemberManager``,
   ``Admin`` from ``auth``): the role check is in the parameter. Forms post ``Form()`` fields plus ``csrf``; take
   ``checked: CsrfChecked`` (``auth``) so that a form without the session's token is refused. Call one use case,
   then ``render(request, "campaigns.html", identity, ...)``; after a POST, redirect (303) to the page to show.
   Domain errors become a message on the page (``web.Flash``), never a stack trace.
3. **Template.** ``templates/campaigns.html`` extends ``base.html`` (title, ``{% block main %}``). Label every control
   (``<label for>``, or ``aria-label`` when the label is visible elsewhere); tables get a ``<caption>`` naming the
   zone of their times. No ``style=""`` attribute and no ``<script>`` in a template (the CSP refuses them): classes
   from ``static/console.css``, behaviour from ``static/console.js`` through ``data-`` attributes. A part that
   refreshes live is a fragment template (``_campaigns_rows.html``) included by the page and served alone by a
   ``/fragments/…`` route; mark its container ``data-refresh="<url>" data-every="5"``.
4. **Navigation.** Add the section to ``nav.SECTIONS`` (label, route name, permission) and include the router in
   ``app.PAGES``.
5. **Tests.** Browser tests in ``tests/console/`` find things as a person does, by role and label
   (``page.get_by_role("button", name="Envoyer")``, ``page.get_by_label("Quartier")``); the ``console`` fixture
   (``tests/console/conftest.py``) gives the real daemon on the simulator with the sample members and one user per
   role. Add the page to ``tests/console/test_screenshots.py`` so that ``make screenshots`` shows it in the README.
"""
