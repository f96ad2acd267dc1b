// Tollgate's pages are rendered on the server and work as plain links and forms (JavaScript off). This
// makes them better with JavaScript on, without changing what is sent: a link or form on this site is sent
// with fetch (the same method, URL and fields, plus `Accept: text/html`, so server functions answer a form
// with its redirect), and the page that comes back replaces the current one in place — no full reload, the
// address bar and history follow, the header balance is the server's latest. While a form is on its way its
// buttons are disabled and the pressed one shows its `data-pending` label ("Charging your card…"), so a
// second press can't send it twice. The interactive parts (`<leptos-island>`) hydrate again after a swap.
// An `aria-modal` dialog (Add Funds) takes focus and closes with Escape.
// Opt out per link or form with `data-native` (file downloads such as "Export CSV").
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser || !window.history || !history.pushState || !window.FormData) return;

  var navigation = 0;

  function enhanceable(url) {
    return url.origin === location.origin && !url.pathname.startsWith("/v1/");
  }

  function linkTarget(ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return null;
    var a = ev.target instanceof Element ? ev.target.closest("a[href]") : null;
    if (!a || a.target || a.hasAttribute("download") || a.hasAttribute("data-native")) return null;
    var url = new URL(a.href, location.href);
    if (!enhanceable(url)) return null;
    // A link to a place on this same page: the browser scrolls there itself.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return null;
    return url;
  }

  document.addEventListener("click", function (ev) {
    var url = linkTarget(ev);
    if (!url) return;
    ev.preventDefault();
    visit(url.href, { method: "GET" }, { push: true });
  });

  document.addEventListener("submit", function (ev) {
    if (ev.defaultPrevented) return;
    var form = ev.target;
    var submitter = ev.submitter || null;
    if (form.target || form.hasAttribute("data-native")) return;
    if (form.getAttribute("aria-busy") === "true") {
      ev.preventDefault(); // already on its way: never send it twice
      return;
    }
    var method = ((submitter && submitter.getAttribute("formmethod")) || form.getAttribute("method") || "get").toUpperCase();
    var action = new URL((submitter && submitter.getAttribute("formaction")) || form.action, location.href);
    if ((method !== "GET" && method !== "POST") || !enhanceable(action)) return;
    ev.preventDefault();
    var fields = new URLSearchParams(submitter ? new FormData(form, submitter) : new FormData(form));
    var init = { method: method };
    if (method === "GET") action.search = fields.toString();
    else init.body = fields;
    setPending(form, submitter);
    visit(action.href, init, { push: true, form: form });
  });

  window.addEventListener("popstate", function () {
    visit(location.href, { method: "GET" }, { push: false });
  });

  function setPending(form, submitter) {
    form.setAttribute("aria-busy", "true");
    if (submitter && submitter.dataset.pending) {
      submitter.dataset.label = submitter.textContent;
      submitter.textContent = submitter.dataset.pending;
    }
    form.querySelectorAll("button, input[type=submit]").forEach(function (button) {
      if (!button.disabled) {
        button.disabled = true;
        button.dataset.pendingDisabled = "";
      }
    });
  }

  function clearPending(form) {
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-pending-disabled]").forEach(function (button) {
      button.disabled = false;
      delete button.dataset.pendingDisabled;
      if (button.dataset.label !== undefined) {
        button.textContent = button.dataset.label;
        delete button.dataset.label;
      }
    });
  }

  function visit(url, init, options) {
    var current = ++navigation;
    init.headers = { Accept: "text/html" };
    init.credentials = "same-origin";
    return fetch(url, init)
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (!type.includes("text/html")) {
          // Not a page (a download): let the browser fetch it itself.
          if (options.form) clearPending(options.form);
          location.assign(response.url);
          return;
        }
        return response.text().then(function (html) {
          if (current !== navigation) return;
          show(html, response.url, options);
        });
      })
      .catch(function () {
        // Offline or the server went away: fall back to the browser's own navigation.
        if (current !== navigation) return;
        if (options.form) {
          clearPending(options.form);
          options.form.setAttribute("data-native", "");
          HTMLFormElement.prototype.submit.call(options.form); // sends it natively, without this handler
        } else {
          location.assign(url);
        }
      });
  }

  function show(html, url, options) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var typed = options.form ? typedValues(options.form) : null;
    var samePage = new URL(url).pathname === location.pathname;
    var scroll = window.scrollY;
    if (options.push) {
      if (url === location.href) history.replaceState(null, "", url);
      else history.pushState(null, "", url);
    }
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    window.scrollTo(0, samePage ? scroll : 0);
    afterSwap(options.form, typed, samePage);
  }

  // What was typed into a form, by field id (a radio or checkbox by name=value). Passwords are never
  // kept; hidden fields come from the server.
  function fieldKey(field) {
    var choice = field.type === "checkbox" || field.type === "radio";
    return choice ? field.name + "=" + field.value : field.id;
  }

  function typedValues(form) {
    var values = {};
    form.querySelectorAll("input, select, textarea").forEach(function (field) {
      if (field.type === "hidden" || field.type === "password" || field.type === "submit" || !fieldKey(field)) return;
      values[fieldKey(field)] = field.type === "checkbox" || field.type === "radio" ? { checked: field.checked } : { value: field.value };
    });
    return { action: form.getAttribute("action"), values: values };
  }

  // A post that failed comes back as the same form with its error: put back what was typed (the server
  // never echoes input into a page or URL), and tell the islands (`input`/`change` events) so their
  // checks see it. A form that succeeded comes back empty and stays so.
  function restoreTyped(typed) {
    if (!typed || !typed.action) return null;
    var form = document.querySelector('form[action="' + CSS.escape(typed.action) + '"]');
    var failed = form && Array.prototype.some.call(document.querySelectorAll(".form-error"), function (el) {
      return el.textContent.trim() !== "";
    });
    if (!form || !failed) return null;
    form.querySelectorAll("input, select, textarea").forEach(function (field) {
      var was = typed.values[fieldKey(field)];
      if (!was || field.type === "hidden") return;
      if ("checked" in was) {
        if (field.checked !== was.checked) {
          field.checked = was.checked;
          field.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else if (field.value !== was.value) {
        field.value = was.value;
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    return form;
  }

  // What every page gets once it is in the document: its islands hydrated (when the wasm bundle is
  // already running; on a first load the island loader does that), the dialog's focus and Escape, and
  // what was typed into a form whose post failed (focus on its first field), else focus on a new page's
  // heading.
  function afterSwap(submittedForm, typed, samePage) {
    if (window.__hydrateIsland) {
      document.body.querySelectorAll("leptos-island").forEach(function (island) {
        window.__hydrateIsland(island, island.dataset.component);
      });
      document.body.setAttribute("data-hydrated", "true");
    }
    // Other scripts set up what the new page has (card-entry.js: the processor's card Element).
    document.dispatchEvent(new Event("tollgate:page"));
    var failedForm = restoreTyped(typed);
    if (setUpDialog()) return;
    if (failedForm) {
      var field = failedForm.querySelector("input:not([type=hidden]), select, textarea");
      if (field) field.focus();
    } else if (!samePage) {
      // A new page: start keyboard and screen reader users at its heading, as a page load would.
      var heading = document.querySelector("main h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
      }
    }
  }

  function setUpDialog() {
    var dialog = document.querySelector("[role=dialog][data-close]");
    if (!dialog) return false;
    dialog.setAttribute("aria-modal", "true");
    var first = dialog.querySelector("input:not([type=hidden]), button, a[href]");
    if (first) first.focus();
    dialog.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") visit(new URL(dialog.dataset.close, location.href).href, { method: "GET" }, { push: true });
    });
    return true;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpDialog);
  else setUpDialog();
})();
