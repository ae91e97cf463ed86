// The rule builder's rows (templates/admin/rules/rule_builder.html, rules/builder.py):
// add and remove rows, offer the operators and value control of the chosen field, and keep
// the JSON of the "advanced" view in step with the rows. The server reads the rows itself;
// without this script both views are shown and the chosen one is saved.
(function () {
  "use strict";

  var LIST_CONTROLS = ["select", "yesno"];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function decode(text) {
    try { return JSON.parse(text); } catch (e) { return text; }
  }

  function encode(value) {
    // As rules.builder.encode: JSON with sorted keys, so {"agent": 3} finds its option.
    if (value && typeof value === "object" && !Array.isArray(value)) {
      var sorted = {};
      Object.keys(value).sort().forEach(function (key) { sorted[key] = value[key]; });
      value = sorted;
    }
    return JSON.stringify(value);
  }

  function Builder(root) {
    this.root = root;
    this.name = root.dataset.name;
    this.kind = root.dataset.kind;
    this.description = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    this.rows = root.querySelector(".rule-builder-rows");
    this.blank = root.querySelector(".rule-builder-blank");
    this.json = root.querySelector(".rule-builder-json");
    this.note = root.querySelector(".rule-builder-note");
    root.classList.add("rule-builder-js");
    // The server disables the rows for JSON they cannot show (saving them would drop it);
    // here switching checks the JSON first, so a rule made simple can go back to rows.
    root.querySelector("[name='" + this.name + "__mode'][value='builder']").disabled = false;
    this.blankGroup = root.querySelector(".rule-builder-blank-group");
    root.querySelectorAll(".rule-builder-remove, .rule-builder-add, .rule-builder-add-group, .rule-builder-add-sub")
      .forEach(function (b) { b.hidden = false; });
    var self = this;
    root.querySelector(".rule-builder-add").addEventListener("click", function () { self.addRow(self.rows); });
    var addGroup = root.querySelector(".rule-builder-add-group");
    if (addGroup) addGroup.addEventListener("click", function () { self.addGroup(); });
    this.rows.addEventListener("click", function (event) {
      if (event.target.classList.contains("rule-builder-remove")) {
        event.target.closest(".rule-builder-row").remove();
        self.renumber();
        self.sync();
      } else if (event.target.classList.contains("rule-builder-add-sub")) {
        self.addRow(event.target.closest(".rule-builder-group").querySelector(".rule-builder-subrows"));
      }
    });
    this.rows.addEventListener("change", function (event) {
      var row = event.target.closest(".rule-builder-row");
      if (event.target.classList.contains("rule-builder-field")) self.fieldChanged(row);
      else if (event.target.classList.contains("rule-builder-op")) self.opChanged(row);
      else if (event.target.classList.contains("rule-builder-action")) self.actionChanged(row);
      self.sync();
    });
    this.rows.addEventListener("input", function () { self.sync(); });
    var match = root.querySelector("[name='" + this.name + "__match']");
    if (match) match.addEventListener("change", function () { self.sync(); });
    root.querySelectorAll("[name='" + this.name + "__mode']").forEach(function (radio) {
      radio.addEventListener("change", function () { self.switchTo(radio.value); });
    });
    this.showPane(this.mode());
  }

  Builder.prototype.mode = function () {
    var checked = this.root.querySelector("[name='" + this.name + "__mode']:checked");
    return checked ? checked.value : "json";
  };

  Builder.prototype.showPane = function (mode) {
    this.root.querySelectorAll(".rule-builder-pane").forEach(function (pane) {
      pane.hidden = pane.dataset.pane !== mode;
    });
  };

  Builder.prototype.switchTo = function (mode) {
    if (mode === "json") {
      this.sync();
    } else if (!this.load(this.json.value)) {
      this.root.querySelector("[name='" + this.name + "__mode'][value='json']").checked = true;
      window.alert(this.root.dataset.tooComplex || "This JSON cannot be shown as rows: keep editing it as JSON.");
      return;
    }
    this.showPane(mode);
  };

  // Every input is named after its row's place: name__2__field, name__3__match (a group),
  // name__3__0__field (the group's first condition); the server reads them in that order.
  Builder.prototype.renumber = function () {
    var name = this.name;
    function setKey(li, key) {
      li.dataset.key = key;
      li.querySelectorAll("[name]").forEach(function (input) {
        if (input.closest(".rule-builder-row") !== li) return;
        input.name = key + input.name.slice(input.name.lastIndexOf("__"));
      });
    }
    Array.prototype.forEach.call(this.rows.children, function (li, k) {
      var key = name + "__" + k;
      setKey(li, key);
      var sub = li.querySelector(".rule-builder-subrows");
      if (sub) {
        Array.prototype.forEach.call(sub.children, function (child, j) { setKey(child, key + "__" + j); });
      }
    });
  };

  Builder.prototype.fromTemplate = function (template) {
    var holder = document.createElement("ol");
    holder.innerHTML = template.innerHTML;
    var row = holder.firstElementChild;
    row.querySelectorAll(".rule-builder-remove, .rule-builder-add-sub").forEach(function (b) { b.hidden = false; });
    return row;
  };

  Builder.prototype.addRow = function (list) {
    var row = this.fromTemplate(this.blank);
    list.appendChild(row);
    this.renumber();
    var first = row.querySelector("select");
    if (first) first.focus();
    return row;
  };

  Builder.prototype.addGroup = function () {
    var group = this.fromTemplate(this.blankGroup);
    this.rows.appendChild(group);
    this.renumber();
    group.querySelector("select").focus();
    this.sync();
    return group;
  };

  Builder.prototype.valueName = function (row) {
    return row.dataset.key + "__value";
  };

  Builder.prototype.fieldChanged = function (row) {
    var field = this.description.fields[row.querySelector(".rule-builder-field").value];
    var op = row.querySelector(".rule-builder-op");
    var kept = op.value;
    op.innerHTML = "";
    (field ? field.ops : []).forEach(function (pair) {
      op.appendChild(el("option", { value: pair[0] }, pair[1]));
    });
    if (field && field.controls[kept] !== undefined) op.value = kept;
    this.opChanged(row);
  };

  Builder.prototype.opChanged = function (row) {
    var field = this.description.fields[row.querySelector(".rule-builder-field").value];
    var op = row.querySelector(".rule-builder-op").value;
    var control = field ? field.controls[op] : "text";
    this.setControl(row, control, field ? field.options : []);
  };

  Builder.prototype.actionChanged = function (row) {
    var action = this.description.actions[row.querySelector(".rule-builder-action").value];
    this.setControl(row, action ? action.control : "text", action ? action.options : []);
  };

  Builder.prototype.setControl = function (row, control, options) {
    var holder = row.querySelector(".rule-builder-value");
    if (holder.dataset.control === control && holder.dataset.options === String(options.length)) return;
    holder.dataset.control = control;
    holder.dataset.options = String(options.length);
    holder.innerHTML = "";
    var name = this.valueName(row);
    var label = row.closest(".rule-builder").dataset.valueLabel || "value";
    if (LIST_CONTROLS.indexOf(control) >= 0) {
      var select = el("select", { name: name, "aria-label": label });
      select.appendChild(el("option", { value: "" }, "—"));
      options.forEach(function (pair) { select.appendChild(el("option", { value: pair[0] }, pair[1])); });
      holder.appendChild(select);
    } else if (control === "multi") {
      var group = el("span", { "class": "rule-builder-checks", role: "group", "aria-label": label });
      options.forEach(function (pair) {
        var item = el("label");
        item.appendChild(el("input", { type: "checkbox", name: name, value: pair[0] }));
        item.appendChild(document.createTextNode(" " + pair[1]));
        group.appendChild(item);
      });
      holder.appendChild(group);
    } else if (control === "number") {
      holder.appendChild(el("input", { type: "number", step: "any", name: name, "aria-label": label }));
    } else if (control === "message") {
      holder.appendChild(el("textarea", { name: name, rows: "3", cols: "60", "aria-label": label }));
    } else if (control === "words" || control === "text") {
      var input = el("input", { type: "text", name: name, "aria-label": label });
      if (control === "words") input.placeholder = "a, b, c";
      holder.appendChild(input);
    }
  };

  // What a row's value control holds, as the rule JSON wants it (rules.builder._typed).
  Builder.prototype.valueOf = function (row) {
    var holder = row.querySelector(".rule-builder-value");
    var control = holder.dataset.control;
    var inputs = holder.querySelectorAll("[name]");
    if (control === "none" || !inputs.length) return undefined;
    if (control === "multi") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; })
        .map(function (i) { return decode(i.value); });
    }
    var text = inputs[0].value;
    if (LIST_CONTROLS.indexOf(control) >= 0) return text === "" ? null : decode(text);
    if (control === "number") {
      var number = Number(text.trim().replace(",", "."));
      return text.trim() === "" || isNaN(number) ? text : number;
    }
    if (control === "words") {
      return text.split(",").map(function (w) { return w.trim(); }).filter(Boolean);
    }
    return text;
  };

  Builder.prototype.itemsOf = function (list) {
    var self = this;
    var items = [];
    Array.prototype.forEach.call(list.children, function (row) {
      var item;
      if (row.classList.contains("rule-builder-group")) {
        var children = self.itemsOf(row.querySelector(".rule-builder-subrows"));
        if (!children.length) return;
        item = {};
        item[row.querySelector(".rule-builder-group-match").value] = children;
        items.push(item);
        return;
      }
      if (self.kind === "conditions") {
        var field = row.querySelector(".rule-builder-field").value;
        if (!field) return;
        item = { field: field, op: row.querySelector(".rule-builder-op").value };
      } else {
        var action = row.querySelector(".rule-builder-action").value;
        if (!action) return;
        item = { action: action };
      }
      var value = self.valueOf(row);
      if (value !== undefined) item.value = value;
      items.push(item);
    });
    return items;
  };

  Builder.prototype.toJson = function () {
    var items = this.itemsOf(this.rows);
    if (this.kind === "actions") return items;
    if (!items.length) return {};
    var match = this.root.querySelector("[name='" + this.name + "__match']").value;
    var group = {};
    group[match] = items;
    return group;
  };

  Builder.prototype.sync = function () {
    this.json.value = JSON.stringify(this.toJson(), null, 2);
  };

  function groupItems(item) {
    if (!item || typeof item !== "object" || Array.isArray(item)) return null;
    var keys = Object.keys(item);
    if (keys.length !== 1 || (keys[0] !== "all" && keys[0] !== "any")) return null;
    return Array.isArray(item[keys[0]]) && item[keys[0]].length ? item[keys[0]] : null;
  }

  // Rows from JSON typed in the advanced view; false when rows cannot show it.
  Builder.prototype.load = function (text) {
    var data;
    try { data = text.trim() ? JSON.parse(text) : (this.kind === "actions" ? [] : {}); } catch (e) { return false; }
    var items, match = "all";
    var fields = this.description.fields;
    function isLeaf(i) { return i && fields[i.field] && fields[i.field].controls[i.op] !== undefined; }
    if (this.kind === "actions") {
      if (!Array.isArray(data)) return false;
      items = data;
      var actions = this.description.actions;
      if (!items.every(function (i) { return i && actions[i.action]; })) return false;
    } else {
      if (!data || typeof data !== "object" || Array.isArray(data)) return false;
      if (data.field) items = [data];
      else if (Object.keys(data).length === 0) items = [];
      else if (groupItems(data)) {
        match = data.all ? "all" : "any";
        items = groupItems(data);
      } else return false;
      var fits = items.every(function (i) {
        return isLeaf(i) || (groupItems(i) && groupItems(i).every(isLeaf));
      });
      if (!fits) return false;
      this.root.querySelector("[name='" + this.name + "__match']").value = match;
    }
    this.rows.innerHTML = "";
    var self = this;
    function fill(row, item) {
      if (self.kind === "conditions") {
        row.querySelector(".rule-builder-field").value = item.field;
        self.fieldChanged(row);
        row.querySelector(".rule-builder-op").value = item.op;
        self.opChanged(row);
      } else {
        row.querySelector(".rule-builder-action").value = item.action;
        self.actionChanged(row);
      }
      self.setValue(row, item.value);
    }
    items.forEach(function (item) {
      var children = self.kind === "conditions" ? groupItems(item) : null;
      if (children) {
        var group = self.addGroup();
        group.querySelector(".rule-builder-group-match").value = item.all ? "all" : "any";
        var sub = group.querySelector(".rule-builder-subrows");
        sub.innerHTML = "";
        children.forEach(function (child) { fill(self.addRow(sub), child); });
        self.addRow(sub);
      } else {
        fill(self.addRow(self.rows), item);
      }
    });
    self.addRow(self.rows);
    return true;
  };

  Builder.prototype.setValue = function (row, value) {
    if (value === undefined) return;
    var holder = row.querySelector(".rule-builder-value");
    var control = holder.dataset.control;
    var inputs = holder.querySelectorAll("[name]");
    if (control === "multi") {
      var wanted = (Array.isArray(value) ? value : [value]).map(encode);
      inputs.forEach(function (i) { i.checked = wanted.indexOf(i.value) >= 0; });
    } else if (LIST_CONTROLS.indexOf(control) >= 0) {
      var select = inputs[0];
      var encoded = encode(value);
      if (!Array.prototype.some.call(select.options, function (o) { return o.value === encoded; })) {
        select.appendChild(el("option", { value: encoded }, encoded));
      }
      select.value = encoded;
    } else if (inputs.length) {
      inputs[0].value = Array.isArray(value) ? value.join(", ") : String(value);
    }
  };

  function start() {
    document.querySelectorAll(".rule-builder").forEach(function (root) {
      if (!root.ruleBuilder) root.ruleBuilder = new Builder(root);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
