/* TRACS console keyboard: focus on the results after a search, and single-key shortcuts (listed at /help/keys).
   No key is taken while the user types in a field or holds Ctrl, Alt or Meta. Served from the gateway: the
   Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  var FLAG = "tracs-searched";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function after(a, b) { return !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING); }

  /* The results of a search form: a region marked data-results, else the first table region or alert after it. */
  function resultsOf(form) {
    var marked = document.querySelector("[data-results]");
    if (marked) return marked;
    var found = document.querySelectorAll('.scroll[role="region"], [role="alert"], .results');
    for (var i = 0; i < found.length; i++) { if (after(form, found[i])) return found[i]; }
    return form.nextElementSibling;
  }

  function focusResults() {
    var asked = sessionStorage.getItem(FLAG);
    sessionStorage.removeItem(FLAG);
    var form = document.querySelector('form[role="search"]');
    if (!form || asked !== location.pathname) return;
    var target = resultsOf(form);
    if (!target) return;
    if (target.tabIndex < 0 && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
    target.scrollIntoView({ block: "start" });
  }

  /* The rows of the page's list: each one's first link opens it. */
  function rows() {
    var list = document.querySelectorAll(".scroll table tbody tr");
    return Array.prototype.filter.call(list, function (r) { return r.querySelector("a[href]"); });
  }

  function move(step) {
    var all = rows();
    if (!all.length) return false;
    var at = all.findIndex(function (r) { return r.contains(document.activeElement); });
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    all.forEach(function (r) { r.classList.remove("current"); });
    all[next].classList.add("current");
    all[next].querySelector("a[href]").focus();
    return true;
  }

  /* The page's main search field: one marked data-key="/", else a name or record field, else the first text field. */
  function searchField() {
    var wanted = ['[data-key="/"]', 'input[name="name"]', 'input[name="record"]',
                  'input:not([type="hidden"]):not([type="checkbox"]):not([type="date"])'];
    for (var i = 0; i < wanted.length; i++) {
      var found = document.querySelector('form[role="search"] ' + wanted[i]);
      if (found) return found;
    }
    return null;
  }

  function act(el) {
    if (el.tagName === "BUTTON" || el.tagName === "A") { el.click(); return; }
    if (el.tabIndex < 0 && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus();
    el.scrollIntoView({ block: "center" });
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented) return;
    var inRows = rows().some(function (r) { return r.contains(document.activeElement); });
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && inRows) {
      if (move(e.key === "ArrowDown" ? 1 : -1)) e.preventDefault();
      return;
    }
    if (typing(e.target)) {
      if (e.key === "Escape") e.target.blur();  /* out of the field, so the shortcuts act again */
      return;
    }
    var handled = true;
    if (e.key === "?") {
      location.assign("/help/keys");
    } else if (e.key === "/") {
      var field = searchField();
      if (field) { field.focus(); field.select && field.select(); } else handled = false;
    } else if (e.key === "j" || e.key === "k") {
      handled = move(e.key === "j" ? 1 : -1);
    } else {
      var el = /^[a-z]$/.test(e.key) ? document.querySelector('[data-key="' + e.key + '"]') : null;
      if (el) act(el); else handled = false;
    }
    if (handled) e.preventDefault();
  });

  document.addEventListener("submit", function (e) {
    if (e.target.matches && e.target.matches('form[role="search"]')) {
      sessionStorage.setItem(FLAG, new URL(e.target.action, location.href).pathname);
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusResults);
  else focusResults();
})();
