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

  /* Character counters: "12 of 500 characters used" under a text box with a limit, and,
     near the limit, "20 characters left" for screen readers once typing pauses. The
     texts come from the page (data-used, data-left), in its language. */
  function setUpCounter(counter) {
    var box = document.getElementById(counter.getAttribute("data-count-of"));
    if (!box) return;
    var limit = Number(counter.getAttribute("data-limit"));
    var status = counter.nextElementSibling;
    var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
    var timer = null;
    function update() {
      var used = box.value.length;
      counter.textContent = counter.getAttribute("data-used").replace("{used}", numbers.format(used));
      counter.classList.toggle("near-limit", used >= limit * 0.9);
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () {
        var left = Math.max(limit - used, 0);
        if (status && used >= limit * 0.9) {
          status.textContent = counter.getAttribute("data-left").replace("{left}", numbers.format(left));
        }
      }, 1000);
    }
    box.addEventListener("input", update);
    update();
  }

  /* Answers typed in a section survive a failed send. Before the browser posts the page,
     its answers are kept in this tab's sessionStorage. When a page of the same address
     loads again, the answers the server wrote into it (the inputs' default values) show
     whether it has them: if it does, or if the server moved on to another page, the copy
     is dropped; if it does not (the post never arrived, or the server failed), the
     answers are filled in again and the page says they are not saved yet. */
  var STORE = "rocb-unsaved-answers";

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function answerInputs(form) {
    return Array.prototype.filter.call(form.elements, function (input) {
      return input.name && input.name !== "csrf_token" && input.name !== "action" &&
        input.name !== "preview_answers" && input.type !== "submit" &&
        input.type !== "button" && input.type !== "file";
    });
  }

  // name -> list of values; `kept` reads what the server wrote, not what is on screen.
  function answersOf(form, kept) {
    var values = {};
    answerInputs(form).forEach(function (input) {
      var list = values[input.name] || (values[input.name] = []);
      if (input.type === "radio" || input.type === "checkbox") {
        if (kept ? input.defaultChecked : input.checked) list.push(input.value);
      } else if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.options, function (option) {
          if (kept ? option.defaultSelected : option.selected) list.push(option.value);
        });
      } else {
        list.push(kept ? input.defaultValue : input.value);
      }
    });
    return values;
  }

  function same(a, b) {
    var norm = function (list) {
      return (list || []).map(function (v) { return String(v).replace(/\r\n/g, "\n").trim(); })
        .filter(function (v) { return v !== ""; }).sort().join("\u0000");
    };
    var names = Object.keys(a).concat(Object.keys(b));
    return names.every(function (name) { return norm(a[name]) === norm(b[name]); });
  }

  function sameFields(saved, form) {
    var now = answerInputs(form).map(function (i) { return i.name; })
      .filter(function (n, i, all) { return all.indexOf(n) === i; }).sort();
    return now.join("\u0000") === saved.slice().sort().join("\u0000");
  }

  function keepAnswers(form) {
    var store = storage();
    if (!store) return;
    var answers = answersOf(form, false);
    try {
      store.setItem(STORE, JSON.stringify({
        path: new URL(form.action, location.href).pathname,
        names: Object.keys(answers),
        answers: answers
      }));
    } catch (e) { /* full or refused: the post goes ahead without a copy */ }
  }

  function restore(form, answers) {
    answerInputs(form).forEach(function (input) {
      var list = answers[input.name] || [];
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = list.indexOf(input.value) !== -1;
      } else if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.options, function (option) {
          option.selected = list.indexOf(option.value) !== -1;
        });
      } else {
        input.value = list.length ? list[0] : "";
      }
    });
  }

  function showNotice(notice) {
    if (!notice) return;
    notice.hidden = false;
    notice.focus();
  }

  // Returns true when the page was filled in again from the kept copy.
  function recover(form) {
    var store = storage();
    if (!store) return false;
    var saved = null;
    try { saved = JSON.parse(store.getItem(STORE) || "null"); } catch (e) {}
    if (!saved || !saved.answers) return false;
    var here = new URL(form.action, location.href).pathname;
    if (saved.path !== here || !sameFields(saved.names || [], form) ||
        same(saved.answers, answersOf(form, true))) {
      store.removeItem(STORE);  // the server has them, or went on to another page
      return false;
    }
    restore(form, saved.answers);
    showNotice(document.querySelector("[data-unsaved-notice]"));
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.survey");
    if (!forms.length) {
      var store = storage();
      if (store) store.removeItem(STORE);
    }
    var summary = document.querySelector(".error-summary");
    var recovered = false;
    forms.forEach(function (form) { recovered = recover(form) || recovered; });
    if (summary && !recovered) summary.focus();
    document.querySelectorAll("[data-count-of]").forEach(setUpCounter);
    forms.forEach(function (form) {
      var context = {};
      try { context = JSON.parse(form.getAttribute("data-context") || "{}"); } catch (e) {}
      var update = function () { refresh(form, context); };
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      update();
      form.addEventListener("submit", function (event) {
        if (navigator.onLine === false) {
          event.preventDefault();
          showNotice(document.querySelector("[data-offline-notice]"));
          return;
        }
        keepAnswers(form);
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
  // A page brought back whole from the back-forward cache runs no DOMContentLoaded.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form.survey").forEach(function (form) {
      delete form.dataset.sent;  // the send that left this page did not finish
      form.querySelectorAll("[data-submit-once]").forEach(function (b) { b.disabled = false; });
      recover(form);
    });
  });
})();
