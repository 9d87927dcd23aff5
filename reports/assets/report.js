/* pushcheck HTML report: filtering by verdict and text. Plain JS, embedded at build time.
   The page is complete without it; the filter state lives in the URL fragment,
   e.g. report.html#verdict=fail,non_strict&q=close, so a filtered view can be shared. */
(function () {
  'use strict';
  var doc = document;
  var rows = Array.prototype.slice.call(doc.querySelectorAll('#scenario-table tbody tr[data-verdict]'));
  var buttons = Array.prototype.slice.call(doc.querySelectorAll('.filters button[data-filter]'));
  var search = doc.getElementById('filter-text');
  var counter = doc.getElementById('filter-count');
  var active = {};

  function parseFragment() {
    var hash = location.hash.replace(/^#/, '');
    if (!/^(verdict|q)=/.test(hash)) return false;
    hash.split('&').forEach(function (part) {
      var eq = part.indexOf('=');
      if (eq < 0) return;
      var key = part.slice(0, eq);
      var value = decodeURIComponent(part.slice(eq + 1));
      if (key === 'verdict') value.split(',').forEach(function (v) { if (v) active[v] = true; });
      if (key === 'q' && search) search.value = value;
    });
    return true;
  }

  function fragment() {
    var parts = [];
    var verdicts = Object.keys(active);
    if (verdicts.length) parts.push('verdict=' + verdicts.join(','));
    var text = search ? search.value.trim() : '';
    if (text) parts.push('q=' + encodeURIComponent(text));
    return parts.join('&');
  }

  function apply(updateUrl) {
    var text = search ? search.value.trim().toLowerCase() : '';
    var any = Object.keys(active).length > 0;
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!any || active[row.getAttribute('data-verdict')]) &&
               (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !ok;
      var detail = doc.getElementById(row.getAttribute('data-ref'));
      if (detail) detail.hidden = !ok;
      if (ok) shown++;
    });
    buttons.forEach(function (b) {
      var f = b.getAttribute('data-filter');
      b.setAttribute('aria-pressed', String(f === 'all' ? !any : !!active[f]));
    });
    if (counter) counter.textContent = 'Showing ' + shown + ' of ' + rows.length + ' scenarios';
    if (updateUrl && history.replaceState) {
      try {
        var f = fragment();
        history.replaceState(null, '', f ? '#' + f : location.pathname + location.search);
      } catch (e) { /* file:// URLs may refuse; filtering still works */ }
    }
  }

  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      var f = b.getAttribute('data-filter');
      if (f === 'all') active = {};
      else if (active[f]) delete active[f];
      else active[f] = true;
      apply(true);
    });
  });
  if (search) search.addEventListener('input', function () { apply(true); });

  function setAll(open) {
    doc.querySelectorAll('details.scenario').forEach(function (d) { if (!d.hidden) d.open = open; });
  }
  var expand = doc.getElementById('expand-all');
  var collapse = doc.getElementById('collapse-all');
  if (expand) expand.addEventListener('click', function () { setAll(true); });
  if (collapse) collapse.addEventListener('click', function () { setAll(false); });

  // A link to a scenario opens its details.
  function openTarget() {
    var id = location.hash.replace(/^#/, '');
    if (!/^s\d+$/.test(id)) return;
    var d = doc.getElementById(id);
    if (d && d.tagName === 'DETAILS') d.open = true;
  }
  window.addEventListener('hashchange', openTarget);

  parseFragment();
  apply(false);
  openTarget();
  doc.documentElement.setAttribute('data-js', 'ready');
})();
