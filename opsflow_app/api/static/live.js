// Live progress of a running question, from the API's event stream (same origin: the
// HttpOnly key cookie goes along). Our own code; no library, nothing loaded from elsewhere.
"use strict";
(function () {
  function cell(row, value) {
    var td = document.createElement("td");
    td.textContent = value === null || value === undefined ? "" : String(value);
    row.appendChild(td);
  }
  function render(section, progress) {
    section.querySelector(".phase").textContent = progress.phase;
    var body = section.querySelector("table.steps tbody");
    if (!body) return;
    body.textContent = "";
    progress.steps.forEach(function (s) {
      var row = document.createElement("tr");
      [s.id, s.capability, s.tool, s.status, s.attempts,
       s.duration_ms === null ? "" : Math.round(s.duration_ms) + " ms", s.reason]
        .forEach(function (v) { cell(row, v); });
      body.appendChild(row);
    });
  }
  function start() {
    var section = document.getElementById("progress");
    if (!section || !window.EventSource) return;
    var source = new EventSource(section.getAttribute("data-events"));
    source.addEventListener("progress", function (e) { render(section, JSON.parse(e.data)); });
    source.addEventListener("result", function () {
      source.close();
      window.location.reload();  // the server renders the finished answer
    });
    source.addEventListener("error", function (e) {
      if (!e.data) return;  // a dropped connection: EventSource reconnects by itself
      source.close();
      var note = section.querySelector(".live-note");
      var body = JSON.parse(e.data);
      note.textContent = body.error + ": " + body.message;
      note.className = "error";
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
