/* Console form widgets without inline handlers (production's CSP allows no inline script). */
(function () {
  "use strict";
  // Behaviour weights: a slider and a number input kept in step.
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.dataset.weightSlider) {
      var slider = document.getElementById(el.dataset.weightSlider);
      if (slider) slider.value = el.value;
    } else if (el.dataset.weightFor) {
      var number = document.getElementById(el.dataset.weightFor);
      if (number) number.value = el.value;
    }
  });
  // Treaties: "Add another treaty" clones the blank row with the next index.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".treaty-add");
    if (!button) return;
    event.preventDefault();
    var box = button.closest(".npc-treaties");
    var tbody = box.querySelector("tbody");
    var blank = tbody.querySelector(".treaty-blank");
    var total = box.querySelector(".treaty-total");
    var n = parseInt(total.value, 10);
    var row = blank.cloneNode(true);
    row.querySelectorAll("[name]").forEach(function (field) {
      field.name = field.name.replace(/-\d+-/, "-" + n + "-");
      field.value = "";
    });
    blank.classList.remove("treaty-blank");
    tbody.appendChild(row);
    total.value = n + 1;
  });
})();
