// Draws the results figures: each element with data-figure="<id>" gets the Plotly figure
// held in the JSON data block <script type="application/json" id="<id>">. Used by the
// results pages, presentation mode and (inlined) the self-contained HTML report, so it must
// work from a file:// page with nothing but plotly.js loaded. No inline script: CSP.
(function () {
  'use strict';

  function config() {
    var block = document.getElementById('figure-config');
    var base = { responsive: true, displaylogo: false };
    if (!block) { return base; }
    try {
      var given = JSON.parse(block.textContent);
      Object.keys(given).forEach(function (key) { base[key] = given[key]; });
    } catch (e) { /* keep the defaults */ }
    return base;
  }

  // On a slide being presented the figure takes the height the slide leaves it (CSS sizes
  // the element); elsewhere it keeps the height its builder chose.
  function fillsSlide(element) {
    var deck = element.closest ? element.closest('.deck') : null;
    return !!deck && deck.getAttribute('data-mode') === 'present' && element.clientHeight > 200;
  }

  function draw(element) {
    if (!window.Plotly || element.getAttribute('data-rendered') === 'yes') { return null; }
    var block = document.getElementById(element.getAttribute('data-figure'));
    if (!block) { return null; }
    var figure = JSON.parse(block.textContent);
    var layout = figure.layout || {};
    element.setAttribute('data-figure-height', String(layout.height || ''));
    if (fillsSlide(element)) { layout.height = element.clientHeight; }
    element.setAttribute('data-rendered', 'pending');
    return window.Plotly.newPlot(element, figure.data || [], layout, config())
      .then(function () { element.setAttribute('data-rendered', 'yes'); });
  }

  // Draw every figure inside `root` that is visible (a hidden slide is drawn when shown,
  // so that plotly measures its real size).
  function render(root) {
    var elements = (root || document).querySelectorAll('[data-figure]');
    Array.prototype.forEach.call(elements, function (element) {
      if (element.offsetParent !== null || element.getClientRects().length) { draw(element); }
    });
  }

  function resize(root) {
    var elements = (root || document).querySelectorAll('[data-rendered="yes"]');
    Array.prototype.forEach.call(elements, function (element) {
      var own = parseInt(element.getAttribute('data-figure-height'), 10);
      var height = fillsSlide(element) ? element.clientHeight : (own || null);
      if (height && element.layout && element.layout.height !== height) {
        window.Plotly.relayout(element, { height: height });
      } else {
        window.Plotly.Plots.resize(element);
      }
    });
  }

  window.OrgWellFigures = { render: render, resize: resize };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { render(document); });
  } else {
    render(document);
  }
})();
