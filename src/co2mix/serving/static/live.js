// The live page: server-sent events from /v1/feed/events drawn with uPlot.
// Each event holds new batches (predictions with their 90 % band), lab results (the
// strength measured age_days later) and alarms (drawn as red points on the strength
// chart and listed below it). The page keeps the latest MAX batches.
(function () {
  "use strict";
  var MAX = 2000;
  var t = [], co2 = [], co2Low = [], co2High = [], co2Measured = [];
  var strength = [], strengthLow = [], strengthHigh = [], lab = [], alarmAt = [];
  var index = new Map(); // batch id -> position in the arrays
  var ids = [];
  var labs = 0, alarms = 0;
  var co2El = document.getElementById("co2-chart");
  var strengthEl = document.getElementById("strength-chart");
  var dots = function () { return null; };
  function band(label) { return { label: label, stroke: "#9ecae1", width: 1 }; }
  function chart(el, title, unit, series) {
    return new uPlot({
      title: title, width: Math.max(el.clientWidth, 600), height: 260,
      scales: { x: { time: true } }, axes: [{}, { label: unit }], series: [{}].concat(series),
    }, [[]], el);
  }
  var co2Chart = chart(co2El, "CO2 per batch", "kg CO2e/m3", [
    { label: "predicted", stroke: "#1f77b4", width: 1.5 }, band("90 % low"), band("90 % high"),
    { label: "measured", stroke: "#555", paths: dots, points: { show: true, size: 3 } },
  ]);
  var strengthChart = chart(strengthEl, "Strength per batch", "MPa", [
    { label: "predicted", stroke: "#2ca02c", width: 1.5 }, band("90 % low"), band("90 % high"),
    { label: "lab", stroke: "#000", paths: dots, points: { show: true, size: 4 } },
    { label: "alarm", stroke: "#d00", paths: dots, points: { show: true, size: 10 } },
  ]);
  function trim() {
    var drop = t.length - MAX;
    if (drop <= 0) return;
    [t, co2, co2Low, co2High, co2Measured, strength, strengthLow, strengthHigh, lab, alarmAt, ids]
      .forEach(function (a) { a.splice(0, drop); });
    index = new Map(ids.map(function (id, i) { return [id, i]; }));
  }
  function add(news) {
    news.batches.forEach(function (b) {
      index.set(b.batch_id, t.length);
      ids.push(b.batch_id);
      t.push(Date.parse(b.produced_at + "Z") / 1000);
      co2.push(b.predicted_co2); co2Low.push(b.co2_low); co2High.push(b.co2_high);
      co2Measured.push(b.co2_kg_m3);
      strength.push(b.predicted_strength); strengthLow.push(b.strength_low);
      strengthHigh.push(b.strength_high); lab.push(null); alarmAt.push(null);
    });
    news.labs.forEach(function (l) {
      var i = index.get(l.batch_id);
      if (i !== undefined) { lab[i] = l.strength_mpa; labs += 1; }
    });
    var list = document.getElementById("alarms");
    news.alarms.forEach(function (a) {
      var i = index.get(a.batch_id);
      if (i !== undefined) alarmAt[i] = strength[i];
      var item = document.createElement("li");
      item.className = "alarm";
      item.textContent = a.at + ": " + a.monitor + " (" + a.statistic + " " + a.value +
        " > " + a.threshold + ", batch " + a.batch_id + ")";
      list.insertBefore(item, list.firstChild);
      alarms += 1;
    });
    trim();
    co2Chart.setData([t, co2, co2Low, co2High, co2Measured]);
    strengthChart.setData([t, strength, strengthLow, strengthHigh, lab, alarmAt]);
    co2El.dataset.points = String(t.length);
    strengthEl.dataset.points = String(t.length);
    strengthEl.dataset.labs = String(labs);
    document.getElementById("summary").textContent = t.length + " batches shown, " + labs +
      " lab results, " + alarms + " alarms (last batch " + (ids[ids.length - 1] || "-") + ")";
  }
  var source = new EventSource("/v1/feed/events");
  source.onmessage = function (event) { add(JSON.parse(event.data)); };
})();
