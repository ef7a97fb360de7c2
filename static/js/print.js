// A "Print" button on the pages of answers (hidden without JavaScript: the browser's own
// Print command does the same).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
