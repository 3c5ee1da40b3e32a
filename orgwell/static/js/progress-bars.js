// Sizes Bootstrap progress bars from their data-progress attribute (0-100): the CSP allows
// no inline style attributes, but styles set from a script file are fine.
(function () {
  'use strict';
  document.querySelectorAll('.progress-bar[data-progress]').forEach(function (bar) {
    var percent = Math.max(0, Math.min(100, parseInt(bar.getAttribute('data-progress'), 10) || 0));
    bar.style.width = percent + '%';
  });
})();
