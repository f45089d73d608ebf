// The menu editor: line numbers beside the textarea, and the server's problems
// shown at their lines while typing (POST /admin/menus/validate). No library.
(function () {
  "use strict";
  var area = document.getElementById("content");
  if (!area) { return; }
  var gutter = document.getElementById("gutter");
  var list = document.getElementById("problems");
  var diff = document.getElementById("diff");
  var form = document.getElementById("menu-form");
  var token = form.querySelector("input[name=csrf_token]").value;
  var marks = {};
  var timer = null;

  function drawGutter() {
    var count = area.value.split("\n").length;
    var html = [];
    for (var i = 1; i <= count; i++) {
      var mark = marks[i];
      html.push(mark ? '<span class="' + mark + '" title="problema na linha ' + i + '">' + i + "</span>" : String(i));
    }
    gutter.innerHTML = html.join("\n");
    area.style.height = "auto";
    area.style.height = area.scrollHeight + "px";
  }

  function show(problems) {
    marks = {};
    list.innerHTML = "";
    if (!problems.length) {
      var ok = document.createElement("li");
      ok.textContent = "Nenhum problema encontrado.";
      list.appendChild(ok);
    }
    problems.forEach(function (p) {
      if (marks[p.line] !== "bad") { marks[p.line] = p.severity === "error" ? "bad" : "warn"; }
      var item = document.createElement("li");
      item.className = p.severity;
      item.dataset.line = p.line;
      item.tabIndex = 0;
      item.title = "Ir para a linha " + p.line;
      item.textContent = "linha " + p.line + ", coluna " + p.col + ": " +
        (p.severity === "warning" ? "aviso: " : "") + (p.path ? p.path + ": " : "") + p.message;
      list.appendChild(item);
    });
    drawGutter();
  }

  function validate() {
    var body = new URLSearchParams();
    body.set("content", area.value);
    fetch(area.dataset.validate, {
      method: "POST",
      headers: { "X-CSRFToken": token },
      body: body,
      credentials: "same-origin"
    }).then(function (r) { return r.json(); }).then(function (data) {
      show(data.problems || []);
      if (diff) { diff.textContent = (data.diff || []).join("\n"); }
    });
  }

  function goToLine(line) {
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    var row = gutter.children[line - 1];
    if (row && row.scrollIntoView) { row.scrollIntoView({ block: "center" }); }
  }
  list.addEventListener("click", function (e) {
    if (e.target.dataset.line) { goToLine(Number(e.target.dataset.line)); }
  });
  list.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.dataset.line) { goToLine(Number(e.target.dataset.line)); }
  });

  area.addEventListener("input", function () {
    drawGutter();
    clearTimeout(timer);
    timer = setTimeout(validate, 300);
  });
  area.addEventListener("keydown", function (e) {  // Tab indents; Esc then Tab leaves the field
    if (e.key === "Tab" && !e.shiftKey && !area.dataset.escaped) {
      e.preventDefault();
      var s = area.selectionStart;
      area.setRangeText("  ", s, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
    area.dataset.escaped = e.key === "Escape" ? "1" : "";
  });
  var testForm = document.getElementById("test-call-form");
  if (testForm) {
    testForm.addEventListener("submit", function () {
      document.getElementById("test-content").value = area.value;
    });
  }
  drawGutter();
  validate();
})();
