// The comparison form: the ticked clients become one "orgs=a,b" parameter and the chosen
// scale its instrument and scale parameters, so the address stays short and shareable.
(function () {
  'use strict';
  var form = document.getElementById('compare-form');
  if (!form) { return; }
  form.addEventListener('submit', function () {
    var ticked = form.querySelectorAll('[data-compare-org]:checked');
    document.getElementById('compare-orgs').value =
      Array.prototype.map.call(ticked, function (box) { return box.value; }).join(',');
    var choice = form.querySelector('[data-compare-scale]');
    if (choice) {
      var parts = choice.value.split('|');
      document.getElementById('compare-instrument').value = parts[0];
      document.getElementById('compare-scale-key').value = parts[1] || '';
      choice.disabled = true;  // not sent: instrument and scale carry it
    }
  });
})();
