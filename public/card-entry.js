// Card entry through the card processor's own script (Stripe.js; docs/CONTRACT.md "Card processors"),
// loaded only where the processor takes cards in the browser. The card number, expiry and CVC go from
// Stripe's card Element straight to Stripe and never to Tollgate:
// - "Continue" with a new card first asks Tollgate to begin a card setup (`data-setup-url`), confirms it
//   with `stripe.confirmCardSetup` (Stripe asks the bank if it wants to), and then posts the form with the
//   setup's id in `setup_intent` — the only thing Tollgate learns of the card, besides what Stripe tells it;
// - a payment whose bank wants its person (`data-bank-check`) opens the bank's check with
//   `stripe.confirmCardPayment`, then posts "Check again", which reads and records the outcome.
// Without JavaScript there is no Element; the page says that adding a card needs it.
(function () {
  "use strict";
  if (typeof window.Stripe !== "function") return;
  var clients = {};
  function stripeFor(key) {
    if (!clients[key]) clients[key] = window.Stripe(key);
    return clients[key];
  }

  function setUpCardEntry(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "true";
    box.classList.add("ready");
    var stripe = stripeFor(box.dataset.cardEntry);
    var card = stripe.elements().create("card");
    card.mount(box.querySelector(".card-element"));
    var form = box.closest("form");
    var error = box.querySelector("[data-card-error]");
    form.addEventListener("submit", function (ev) {
      var chosen = form.querySelector("input[name=card]:checked");
      var setupField = form.querySelector("input[name=setup_intent]");
      if ((chosen && chosen.value !== "new") || !setupField || setupField.value) return;
      // Before enhance.js sends it: the card is set up with Stripe first.
      ev.preventDefault();
      ev.stopImmediatePropagation();
      var submitter = ev.submitter || form.querySelector("button[type=submit]");
      busy(submitter, true);
      error.textContent = "";
      fetch(box.dataset.setupUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: box.dataset.setupFields || "",
      })
        .then(function (res) {
          if (!res.ok) throw new Error("setup");
          return res.json();
        })
        .then(function (answer) {
          if (!answer.client_secret) throw new Error(answer.error || "setup");
          return stripe.confirmCardSetup(answer.client_secret, { payment_method: { card: card } });
        })
        .then(function (result) {
          if (result.error) throw new Error(result.error.message || "setup");
          setupField.value = result.setupIntent.id;
          busy(submitter, false);
          if (form.requestSubmit) form.requestSubmit(submitter);
          else form.submit();
        })
        .catch(function (err) {
          busy(submitter, false);
          error.textContent = err && err.message && err.message !== "setup"
            ? err.message
            : "Your card wasn't set up. Enter it again.";
        });
    }, true);
  }

  function setUpBankCheck(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "true";
    box.classList.add("ready");
    var stripe = stripeFor(box.dataset.cardEntry);
    var button = box.querySelector("[data-open-bank-check]");
    var again = box.querySelector("form[data-check-again]");
    function open() {
      busy(button, true);
      stripe.confirmCardPayment(box.dataset.bankCheck).then(function () {
        // Whatever the bank said, Tollgate reads the payment's outcome ("Check again").
        if (again.requestSubmit) again.requestSubmit();
        else again.submit();
      });
    }
    button.addEventListener("click", open);
    open();
  }

  function busy(button, on) {
    if (!button) return;
    button.disabled = on;
    if (on) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
  }

  function setUp() {
    document.querySelectorAll("[data-card-entry]").forEach(function (box) {
      if (box.hasAttribute("data-bank-check")) setUpBankCheck(box);
      else setUpCardEntry(box);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
  // enhance.js swaps pages in place: set up what the new page has.
  document.addEventListener("tollgate:page", setUp);
})();
