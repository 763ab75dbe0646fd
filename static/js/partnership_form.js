// Partnership form: "Add a member" rows, and a live search box over each member's stakeholder
// select. The search asks /partnerships/stakeholder-search/?q=, which answers only stakeholders the
// person may see; the chosen id still goes through the select, so the server validates it.
(function () {
  "use strict";
  var container = document.getElementById("members");
  if (!container) return;
  var searchUrl = container.dataset.searchUrl;
  var total = document.querySelector("input[name=members-TOTAL_FORMS]");
  var template = document.getElementById("member-template");

  function enhance(select) {
    if (select.dataset.enhanced) return;
    select.dataset.enhanced = "1";
    var wrap = document.createElement("div");
    wrap.className = "member-search";
    var input = document.createElement("input");
    input.type = "text";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.placeholder = "Type at least two letters of a name";
    input.id = select.id + "_search";
    var chosen = select.options[select.selectedIndex];
    if (chosen && chosen.value) input.value = chosen.text;
    var list = document.createElement("ul");
    list.setAttribute("role", "listbox");
    list.hidden = true;
    select.hidden = true;
    var label = document.querySelector("label[for='" + select.id + "']");
    if (label) label.htmlFor = input.id;
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(select);
    var timer = null;
    var active = -1;

    function choose(item) {
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === String(item.id); });
      if (!option) {
        option = new Option(item.name, item.id);
        select.add(option);
      }
      select.value = String(item.id);
      input.value = item.name;
      close();
    }
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function render(results) {
      list.innerHTML = "";
      results.forEach(function (item, index) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = input.id + "_opt" + index;
        li.innerHTML = '<span class="kind-dot kind-' + item.kind + '" aria-hidden="true"></span>';
        li.appendChild(document.createTextNode(item.name + " "));
        var kind = document.createElement("span");
        kind.className = "muted small";
        kind.textContent = item.kind_label;
        li.appendChild(kind);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
        li._item = item;
        list.appendChild(li);
      });
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "No stakeholder found";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    input.addEventListener("input", function () {
      select.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        fetch(searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) { render(data.results); });
      }, 200);
    });
    input.addEventListener("keydown", function (e) {
      var items = Array.prototype.filter.call(list.children, function (li) { return li._item; });
      if (list.hidden || !items.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
        input.setAttribute("aria-activedescendant", items[active].id);
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(items[active]._item);
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  container.querySelectorAll("select.member-stakeholder").forEach(enhance);
  var add = document.getElementById("add-member");
  if (add && template && total) {
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      container.appendChild(row);
      total.value = String(index + 1);
      var select = row.querySelector("select.member-stakeholder");
      if (select) { enhance(select); row.querySelector("input[type=text]").focus(); }
    });
  }
})();
