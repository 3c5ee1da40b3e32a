// The certificate page's "Print" button (the CSP allows no inline handlers).
(function () {
  'use strict';
  document.querySelectorAll('[data-print-page]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
})();
