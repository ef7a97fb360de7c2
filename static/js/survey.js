/* Progressive enhancement for survey sections: show and hide questions as the respondent
   answers, using the same condition trees the server evaluates (app/surveys/
   expressions.py). Without this script every question of the section is shown and
   the server decides which answers count. */
(function () {
  "use strict";

  function isNumber(value) {
    return typeof value === "number" ||
      (typeof value === "string" && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(value));
  }
  function asText(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.join(" ");
    return String(value);
  }
  function truthy(value) {
    if (value === null || value === undefined) return false;
    if (typeof value === "boolean") return value;
    if (typeof value === "number") return value !== 0;
    if (Array.isArray(value)) return value.length > 0;
    return asText(value) !== "";
  }
  function compare(op, left, right) {
    var a, b;
    if (isNumber(left) && isNumber(right)) {
      a = Number(left); b = Number(right);
    } else {
      a = asText(left); b = asText(right);
      if (op !== "=" && op !== "!=" && (a === "" || b === "")) return false;
    }
    switch (op) {
      case "=": return a === b;
      case "!=": return a !== b;
      case "<": return a < b;
      case "<=": return a <= b;
      case ">": return a > b;
      case ">=": return a >= b;
    }
    return false;
  }
  function evaluate(tree, lookup) {
    var kind = tree[0];
    switch (kind) {
      case "num": return tree[1];
      case "str": return tree[1];
      case "ref": return lookup(tree[1]);
      case "dot": return null;
      case "or": return truthy(evaluate(tree[1], lookup)) || truthy(evaluate(tree[2], lookup));
      case "and": return truthy(evaluate(tree[1], lookup)) && truthy(evaluate(tree[2], lookup));
      case "cmp": return compare(tree[1], evaluate(tree[2], lookup), evaluate(tree[3], lookup));
      case "arith": {
        var l = evaluate(tree[2], lookup), r = evaluate(tree[3], lookup);
        if (!isNumber(l) || !isNumber(r)) return null;
        l = Number(l); r = Number(r);
        switch (tree[1]) {
          case "+": return l + r;
          case "-": return l - r;
          case "*": return l * r;
          case "div": return r === 0 ? null : l / r;
          case "mod": return r === 0 ? null : l % r;
        }
        return null;
      }
      case "call": {
        var args = tree[2].map(function (a) { return evaluate(a, lookup); });
        switch (tree[1]) {
          case "not": return !truthy(args[0]);
          case "true": return true;
          case "false": return false;
          case "selected": {
            var chosen = Array.isArray(args[0]) ? args[0] : (args[0] == null ? [] : [args[0]]);
            return chosen.map(asText).indexOf(asText(args[1])) !== -1;
          }
          case "count-selected":
            return Array.isArray(args[0]) ? args[0].length : (truthy(args[0]) ? 1 : 0);
          case "string-length": return asText(args[0]).length;
          case "regex":
            try { return new RegExp(asText(args[1])).test(asText(args[0])); }
            catch (e) { return false; }
        }
      }
    }
    return null;
  }

  function valueOf(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    if (!inputs.length) return undefined;
    var first = inputs[0];
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    if (first.type === "radio") {
      var checked = Array.prototype.filter.call(inputs, function (i) { return i.checked; });
      return checked.length ? checked[0].value : null;
    }
    return first.value === "" ? null : first.value;
  }

  function isHidden(element) {
    for (var node = element; node; node = node.parentElement) {
      if (node.hidden) return true;
    }
    return false;
  }

  function refresh(form, context) {
    function lookupIn(entryName) {
      return function (key) {
        if (entryName) {
          var inEntry = valueOf(form, entryName + "-" + key);
          if (inEntry !== undefined) return inEntry;
        }
        var wrapper = form.querySelector('.question[data-key="' + key + '"]:not(.entry *)');
        if (wrapper && isHidden(wrapper)) return null;
        var value = valueOf(form, key);
        return value !== undefined ? value : context[key];
      };
    }
    // In page order, so a question hidden earlier counts as unanswered later on.
    form.querySelectorAll(".question[data-relevant]").forEach(function (question) {
      var entry = question.closest(".entry");
      var tree = JSON.parse(question.getAttribute("data-relevant"));
      question.hidden = !truthy(evaluate(tree, lookupIn(entry ? entry.dataset.entry : null)));
    });
    form.querySelectorAll("[data-other-of]").forEach(function (box) {
      var chosen = valueOf(form, box.getAttribute("data-other-of")) || [];
      box.hidden = chosen.indexOf("other") === -1;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
    document.querySelectorAll("form.survey").forEach(function (form) {
      var context = {};
      try { context = JSON.parse(form.getAttribute("data-context") || "{}"); } catch (e) {}
      var update = function () { refresh(form, context); };
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      update();
      form.addEventListener("submit", function (event) {
        var button = event.submitter;
        if (button && button.hasAttribute("data-submit-once")) {
          if (form.dataset.sent) { event.preventDefault(); return; }
          form.dataset.sent = "1";
          // Disabled after the browser has read the button's value into the request.
          setTimeout(function () { button.disabled = true; }, 0);
        }
      });
    });
  });
})();
