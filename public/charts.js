// Draws Tollgate's charts with tooltips. The server already drew each chart as HTML (app/src/charts/bars.rs),
// visible from the first paint and with JavaScript off; every such chart holds an ECharts option built on
// the server (charming) in its `data-chart` attribute. ECharts itself (public/echarts.min.js, bundled from the
// pinned npm package with only the parts these charts use) is loaded only when a person points at a chart
// (mouse, pen or touch), and then draws the same chart over the HTML one, so a page never pays for ECharts
// unless someone reaches for a tooltip (docs/BENCHMARKS.md "Lighthouse"). Once ECharts is loaded, charts that
// appear later (a live update, the app's client-side navigation: a MutationObserver sees them) are drawn at
// once. The table of the same numbers stays for screen readers.
(function () {
  "use strict";
  // The shell names ECharts' address with its version (`data-echarts`), so it is cached like this file.
  var echartsUrl = (document.currentScript && document.currentScript.getAttribute("data-echarts")) || "/echarts.min.js";
  var loading = null;
  var root = document.documentElement;
  // For browsers without the `scripting` media feature: the same swap, by class.
  root.classList.add("charts-enabled");

  function loadECharts() {
    if (window.echarts) return Promise.resolve(window.echarts);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = echartsUrl;
        script.onload = function () { resolve(window.echarts); };
        script.onerror = function () {
          // No chart after all: show the tables again, and let the keyboard reach them.
          root.classList.add("charts-failed");
          document.querySelectorAll(".chart-table").forEach(function (t) { t.setAttribute("tabindex", "0"); });
          reject(new Error("ECharts did not load"));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function money(value) {
    // Values are exact decimal strings; show them with a dollar sign and at least two decimals.
    var text = String(value);
    if (text === "-" || text === "") return null;
    var parts = text.split(".");
    var fraction = (parts[1] || "").padEnd(2, "0");
    return "$" + parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + fraction;
  }

  function withTooltip(option) {
    option.tooltip = option.tooltip || {};
    option.tooltip.formatter = function (items) {
      var lines = [];
      var total = 0n;
      var scale = 8;
      items.forEach(function (item) {
        var raw = option.series[item.seriesIndex].data[item.dataIndex];
        var shown = money(raw);
        if (shown === null || raw === "0") return;
        if (item.seriesType === "bar") {
          var parts = String(raw).split(".");
          total += BigInt(parts[0] + (parts[1] || "").padEnd(scale, "0").slice(0, scale));
        }
        lines.push(item.marker + item.seriesName + ": " + shown);
      });
      var totalText = total.toString().padStart(scale + 1, "0");
      var exactTotal = (totalText.slice(0, -scale) + "." + totalText.slice(-scale)).replace(/0+$/, "").replace(/\.$/, "");
      var header = items.length ? items[0].axisValueLabel : "";
      return [header + " — spend " + money(exactTotal)].concat(lines).join("<br>");
    };
    return option;
  }

  // ECharts draws into a box of its own laid over the server's drawing (the chart's own children belong to
  // the page's hydrated view).
  function canvasBox(el) {
    var box = el.querySelector(":scope > .chart-canvas");
    if (!box) {
      box = document.createElement("div");
      box.className = "chart-canvas";
      el.appendChild(box);
    }
    return box;
  }

  // Every box ECharts draws in. A box whose chart left the page (an in-place navigation replaced it) is
  // disposed: ECharts keeps each instance — its canvas, its listeners — until it is, for as long as the
  // tab stays open.
  var drawnBoxes = [];

  function disposeDetached() {
    if (!window.echarts) return;
    drawnBoxes = drawnBoxes.filter(function (box) {
      if (box.isConnected) return true;
      window.echarts.dispose(box);
      // Should the same element come back, it is drawn afresh.
      var el = box.parentNode;
      if (el) {
        el.__tollgateOption = undefined;
        el.classList.remove("chart-drawn");
      }
      return false;
    });
  }

  function draw(el) {
    var json = el.getAttribute("data-chart");
    if (!json || el.__tollgateOption === json) return;
    loadECharts().then(function (echarts) {
      if (el.__tollgateOption === json || !el.isConnected) return;
      var box = canvasBox(el);
      var chart = echarts.getInstanceByDom(box) || echarts.init(box);
      if (drawnBoxes.indexOf(box) < 0) drawnBoxes.push(box);
      chart.setOption(withTooltip(JSON.parse(json)), true);
      el.__tollgateOption = json;
      el.classList.add("chart-drawn");
    }, function () {});
  }

  function reachedFor(event) {
    draw(event.currentTarget);
  }

  function prepareAll() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      // The table beside a chart is kept for screen readers only: not a visible box to scroll, so not
      // a keyboard stop.
      var table = el.parentNode && el.parentNode.querySelector(".chart-table");
      if (table && !root.classList.contains("charts-failed")) table.removeAttribute("tabindex");
      // Drawn already, or ECharts is here anyway: draw (again, if its numbers changed) at once.
      if (el.__tollgateOption !== undefined || window.echarts) { draw(el); return; }
      if (el.__tollgateWatched) return;
      el.__tollgateWatched = true;
      el.addEventListener("pointerenter", reachedFor);
      el.addEventListener("pointerdown", reachedFor);
    });
  }

  window.tollgateDrawCharts = prepareAll;
  window.addEventListener("resize", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart] > .chart-canvas").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; disposeDetached(); prepareAll(); });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-chart"] });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", prepareAll);
  else prepareAll();
})();
