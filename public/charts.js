// Draws Tollgate's charts: every element with a `data-chart` attribute holds an ECharts option built on
// the server (charming). ECharts itself (public/echarts.min.js, from the pinned npm package) is loaded only
// when a page has a chart. Works on full page loads and on the app's client-side navigations (a
// MutationObserver sees new charts). Without JavaScript the page shows the same numbers as a table.
(function () {
  "use strict";
  var loading = null;
  // The chart area takes space only where a chart can be drawn (CSS `.charts-enabled .chart`).
  document.documentElement.classList.add("charts-enabled");

  function loadECharts() {
    if (window.echarts) return Promise.resolve(window.echarts);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = "/echarts.min.js";
        script.onload = function () { resolve(window.echarts); };
        script.onerror = reject;
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

  function drawAll() {
    var elements = document.querySelectorAll("[data-chart]");
    if (!elements.length) return;
    loadECharts().then(function (echarts) {
      elements.forEach(function (el) {
        var json = el.getAttribute("data-chart");
        if (!json || el.__tollgateOption === json) return;
        var chart = echarts.getInstanceByDom(el) || echarts.init(el);
        chart.setOption(withTooltip(JSON.parse(json)), true);
        el.__tollgateOption = json;
        el.classList.add("chart-drawn");
      });
    });
  }

  window.tollgateDrawCharts = drawAll;
  window.addEventListener("resize", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; drawAll(); });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-chart"] });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
